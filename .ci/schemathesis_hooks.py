"""Schemathesis auth for Sellcast: sign in for a fresh access token every few seconds, so an
operation that ends the current session (DELETE /me/sessions/{id}) cannot starve the rest.
Stateful runs may lock the account (five bad passwords for an email it has seen) or change
its password; then a new account is registered and used from there on."""
import os
import uuid

import requests
import schemathesis

BASE = os.environ["SELLCAST_TEST_ST_BASE"]
PASSWORD = os.environ["SELLCAST_TEST_ST_PASSWORD"]


@schemathesis.auth(refresh_interval=3)
class SellcastLogin:
    email = os.environ["SELLCAST_TEST_ST_EMAIL"]

    def get(self, case, ctx):
        res = requests.post(f"{BASE}/api/v1/auth/login", json={"email": self.email, "password": PASSWORD}, timeout=10)
        if res.status_code == 200:
            return res.json()["access_token"]
        SellcastLogin.email = f"schemathesis-{uuid.uuid4().hex[:12]}@example.com"
        body = {"email": self.email, "password": PASSWORD, "name": "Schemathesis", "organization_name": "Fuzz Org"}
        res = requests.post(f"{BASE}/api/v1/auth/register", json=body, timeout=10)
        res.raise_for_status()
        return res.json()["access_token"]

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
