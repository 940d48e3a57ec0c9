def test_chinese_by_default_whatever_the_browser_asks_english_when_chosen(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "质监" in page and 'lang="zh-hans"' in page
    client.cookies["django_language"] = "en"
    assert 'lang="en"' in client.get("/").content.decode()
