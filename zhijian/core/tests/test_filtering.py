import pytest

from zhijian.core import scope as S


@pytest.mark.parametrize("url", [
    "/registry/labs/?categories=" + "1" + "0" * 30,
    "/registry/inspectors/?categories=-" + "9" * 25,
])
def test_out_of_range_keys_in_list_filters_are_a_form_error_not_a_server_error(client, make_user, url):
    client.force_login(make_user(S.ROLE_OFFICER, "320500"))
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["filterset"].errors


def test_related_filter_choices_are_limited_to_scope(client, make_user, enterprise_factory):
    nanjing = enterprise_factory("320102", name="南京企业")
    client.force_login(make_user(S.ROLE_OFFICER, "320500"))
    response = client.get(f"/registry/products/?enterprise={nanjing.pk}")
    assert response.status_code == 200
    assert "enterprise" in response.context["filterset"].errors
