"""Password hashing: Argon2id at OWASP's password-storage minimum (19 MiB, 2 passes, 1 lane).

Django's own Argon2 defaults (100 MiB, 2 passes, 8 lanes) cost about 250 ms of CPU a sign-in on a
two-core machine, and PBKDF2 at Django's 1.5M iterations about 400 ms; a Monday-morning burst of a
brokerage's agents then queues for seconds. OWASP's first Argon2id configuration keeps the memory
hardness that makes GPU cracking expensive at about 30 ms. Existing hashes (PBKDF2, or Argon2 with
other parameters) are re-hashed at the next successful sign-in by Django's `check_password`.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Argon2id (Django's Argon2 hasher uses the id variant) with OWASP's m=19456 KiB, t=2, p=1."""

    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1
