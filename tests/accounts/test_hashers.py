"""Password storage: Argon2id at OWASP's minimums in every non-test settings module; old hashes upgraded."""

import pytest
from argon2 import extract_parameters
from django.conf import settings
from django.contrib.auth.hashers import get_hasher, identify_hasher, make_password
from django.test import override_settings

from apps.accounts.hashers import Argon2idPasswordHasher
from apps.accounts.models import User
from apps.accounts.roles import Role

pytestmark = pytest.mark.django_db

PRODUCTION_HASHERS = [
    "apps.accounts.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


def test_base_settings_hash_with_argon2id_first_and_still_read_pbkdf2():
    from config.settings import base

    assert base.PASSWORD_HASHERS == PRODUCTION_HASHERS
    assert settings.PASSWORD_HASHERS != PRODUCTION_HASHERS  # the test settings hash with MD5 for speed


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_new_hashes_are_argon2id_with_owasp_minimum_parameters():
    encoded = make_password("a-long-passphrase-2026")

    params = extract_parameters(encoded.removeprefix("argon2"))
    assert encoded.startswith("argon2$argon2id$v=19$")
    assert params.type.name == "ID"
    # OWASP Password Storage Cheat Sheet: m ≥ 19 MiB, t ≥ 2, p = 1 (its first Argon2id configuration).
    assert (params.memory_cost, params.time_cost, params.parallelism) == (19456, 2, 1)
    assert isinstance(get_hasher("default"), Argon2idPasswordHasher)


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_a_pbkdf2_hash_is_upgraded_to_argon2id_at_the_next_sign_in(api_client, make_user):
    user = make_user(Role.AGENT, email="old-hash@example.org")
    User.objects.filter(pk=user.pk).update(password=make_password("an-old-password-1", hasher="pbkdf2_sha256"))

    response = api_client.post(
        "/api/v1/auth/login", {"email": "old-hash@example.org", "password": "an-old-password-1"}, format="json"
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert identify_hasher(user.password).algorithm == "argon2"
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert user.check_password("an-old-password-1")


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_a_failed_sign_in_leaves_the_old_hash_alone(api_client, make_user):
    user = make_user(Role.AGENT, email="old-hash2@example.org")
    old = make_password("an-old-password-1", hasher="pbkdf2_sha256")
    User.objects.filter(pk=user.pk).update(password=old)

    response = api_client.post(
        "/api/v1/auth/login", {"email": "old-hash2@example.org", "password": "not-the-password"}, format="json"
    )

    assert response.status_code == 401
    user.refresh_from_db()
    assert user.password == old
