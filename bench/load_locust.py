"""Locust users of the load bench (``bench/load.py`` runs them; see its docstring).

One user class, ``Visitor``, hits the endpoint named by ``ZHIJIAN_BENCH_ENDPOINT`` at
``ZHIJIAN_BENCH_PER_USER`` requests per second (locust's ``constant_throughput``); the data
(USCCs, complaint tickets and codes, agency tokens) comes from the JSON file
``ZHIJIAN_BENCH_DATA`` that ``bench/load.py`` writes.

Every request carries an ``X-Forwarded-For`` address from a fixed pool of 20,000, as the TLS
proxy in front of a deployment sets it: the per-address rate limits of the public pages see
many visitors (as on the Internet), not one loopback client, and their cost is measured.
"""
import json
import os
import random
import re

from locust import FastHttpUser, constant_throughput, task

DATA = json.load(open(os.environ["ZHIJIAN_BENCH_DATA"], encoding="utf-8"))
ENDPOINT = os.environ["ZHIJIAN_BENCH_ENDPOINT"]
PER_USER = float(os.environ.get("ZHIJIAN_BENCH_PER_USER", "2"))
_rng = random.Random(20261207)
ADDRESSES = [f"10.{_rng.randrange(256)}.{_rng.randrange(256)}.{_rng.randrange(1, 255)}" for _ in range(20000)]
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Visitor(FastHttpUser):
    wait_time = constant_throughput(PER_USER)

    def on_start(self):
        self.csrf = None
        if ENDPOINT == "complaint_status":  # the form's CSRF token (and its cookie, kept by the session)
            r = self.client.get("/portal/complaints/status/", name="complaint_status form",
                                headers={"X-Forwarded-For": random.choice(ADDRESSES)})
            match = CSRF_INPUT.search(r.text or "")
            self.csrf = match.group(1) if match else None

    def _check(self, response, expected=200):
        if response.status_code != expected:
            response.failure(f"HTTP {response.status_code}")
        else:
            response.success()

    @task
    def hit(self):
        headers = {"X-Forwarded-For": random.choice(ADDRESSES)}
        if ENDPOINT == "credit_lookup":
            uscc = random.choice(DATA["uscc"])
            with self.client.get(f"/portal/credit/{uscc}/", name=ENDPOINT, headers=headers,
                                 catch_response=True) as r:
                self._check(r)
        elif ENDPOINT == "results_list":
            page = random.choice((1, 1, 1, 2, 3))
            with self.client.get(f"/portal/spotchecks/results/?page={page}", name=ENDPOINT, headers=headers,
                                 catch_response=True) as r:
                self._check(r)
        elif ENDPOINT == "complaint_status":
            ticket, code = random.choice(DATA["complaints"])
            headers["Referer"] = self.host + "/portal/complaints/status/"
            with self.client.post("/portal/complaints/status/", name=ENDPOINT, headers=headers,
                                  data={"csrfmiddlewaretoken": self.csrf or "", "ticket": ticket, "code": code},
                                  catch_response=True) as r:
                if r.status_code == 200 and ticket not in (r.text or ""):
                    r.failure("status page without the ticket (lookup failed)")
                else:
                    self._check(r)
        elif ENDPOINT == "agency_lookup":
            headers["Authorization"] = "Token " + random.choice(DATA["tokens"])
            uscc = random.choice(DATA["uscc"])
            with self.client.get(f"/api/credit/agency/enterprises/{uscc}/?purpose=bench", name=ENDPOINT,
                                 headers=headers, catch_response=True) as r:
                self._check(r)
        else:
            raise RuntimeError(f"unknown endpoint {ENDPOINT!r}")
