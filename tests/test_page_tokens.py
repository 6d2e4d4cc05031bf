"""Page tokens: signed with the database's own secret; anything this API did not make is a 400."""

from __future__ import annotations

import pytest
from itsdangerous import URLSafeSerializer
from itsdangerous.encoding import base64_encode

from api import create_app
from tests.conftest import assert_problem, seeded_url

SECRET = "known-to-the-attacker"
SALT = "newsfacts.page"
# One list per kind of keyset: text keys, a number then an id, integers, nullable dates.
LISTS = [
    "/v1/facts?page_size=1",
    "/v1/facts?page_size=1&sort=-value",
    "/v1/changes?page_size=1",
    "/v1/articles?page_size=1",
    "/v1/sources?page_size=1",
]
FORGED_KEYS = [
    {"a": 1},
    [[1, 2], "x"],
    2**80,
    [2**80, "x"],
    ["x", 2**80],
    [True, "x"],
    [None, None],
    ["x" * 10_000, "y"],
    ["a\x00b", "x"],
    [1.5, 2.5],
    "x",
    [],
    ["a", "b", "c"],
]


@pytest.fixture
def client_with_a_known_secret(seeded_database_url):
    """The worst case: the attacker knows the signing secret and signs what they like."""
    return create_app({"DATABASE_URL": seeded_database_url, "SECRET_KEY": SECRET}).test_client()


def forge(client, url: str, key) -> str:
    """A token for ``url``'s next page, re-signed with ``key`` in place of the real one."""
    token = client.get(url).get_json()["next_page_token"]
    payload = URLSafeSerializer(SECRET, salt=SALT).loads(token)
    payload["k"] = key
    return URLSafeSerializer(SECRET, salt=SALT).dumps(payload)


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("key", FORGED_KEYS, ids=[repr(k)[:20] for k in FORGED_KEYS])
def test_a_signed_token_with_a_key_of_the_wrong_shape_is_a_400(
    client_with_a_known_secret, url, key
):
    client = client_with_a_known_secret
    forged = forge(client, url, key)
    response = client.get(f"{url}&page_token={forged}")
    if response.status_code == 200:
        # The one forgery that can pass: a key of the right shape is just another position.
        assert key == [1.5, 2.5] and "value" in url
        return
    assert_problem(response, 400, parameter="page_token")


@pytest.mark.parametrize(
    "payload",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"v": 1, "s": "id", "f": "x", "k": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b"not json",
        b'"a string"',
        b"1e999",
    ],
    ids=["deep list", "deep key", "not json", "a string", "overflow"],
)
def test_a_signed_token_that_is_not_our_payload_is_a_400(client_with_a_known_secret, payload):
    signer = URLSafeSerializer(SECRET, salt=SALT).make_signer(SALT)
    token = signer.sign(base64_encode(payload)).decode()
    response = client_with_a_known_secret.get(f"/v1/facts?page_size=1&page_token={token}")
    assert_problem(response, 400, parameter="page_token")


def test_an_overlong_token_is_a_400(client):
    assert_problem(client.get(f"/v1/facts?page_token={'a' * 5000}"), 400, parameter="page_token")


def test_without_a_configured_secret_each_database_signs_its_own_tokens(databases):
    """Two databases holding the same data: a token of one is refused by the other."""
    one, other = (create_app({"DATABASE_URL": seeded_url(databases)}) for _ in range(2))
    token = one.test_client().get("/v1/facts?page_size=1").get_json()["next_page_token"]
    assert one.test_client().get(f"/v1/facts?page_size=1&page_token={token}").status_code == 200
    refused = other.test_client().get(f"/v1/facts?page_size=1&page_token={token}")
    assert_problem(refused, 400, parameter="page_token")


def test_a_token_signed_with_the_old_public_default_is_refused(client):
    payload = {"v": 1, "s": "id", "f": "0" * 16, "k": ["a"]}
    token = URLSafeSerializer("newsfacts-page-token", salt=SALT).dumps(payload)
    assert_problem(client.get(f"/v1/facts?page_token={token}"), 400, parameter="page_token")


@pytest.mark.parametrize("url", LISTS)
def test_a_token_made_compressed_before_still_turns_the_page(client_with_a_known_secret, url):
    """Until 3 Dec 2026 tokens were zlib-compressed (itsdangerous's default); tokens are
    now written plain, and one a client kept from before turns the same page."""
    client = client_with_a_known_secret
    token = client.get(url).get_json()["next_page_token"]
    before = URLSafeSerializer(SECRET, salt=SALT).dumps(
        URLSafeSerializer(SECRET, salt=SALT).loads(token)
    )
    assert not token.startswith(".")
    if not before.startswith("."):  # itsdangerous's mark of a compressed payload
        assert before == token  # too short for zlib to pay: written alike then and now
    then = client.get(f"{url}&page_token={before}")
    now = client.get(f"{url}&page_token={token}")
    assert then.status_code == now.status_code == 200
    assert then.get_json() == now.get_json() and then.get_json()["items"]
