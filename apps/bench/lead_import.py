"""Issue 17's bulk import target (10k leads with duplicate detection ≤ 10 s), measured on the data set.

A realistic CSV is generated: names, emails, phones, cities and the rest of a lead row; about 10 % of the rows are
people already in the database (open leads and contacts) written slightly differently (the email's case, the phone
in another format, an accent dropped or a letter doubled in the name), a few rows repeat an earlier row of the same
file, and about 1 % are bad (no name, a broken email, a phone that is not one). The real `leads_import` then runs
as the demo manager inside a transaction that is rolled back afterwards, so the data set stays the same for the
next run; the time covers reading the file to the import's record.
"""

import csv
import io
import random
import secrets
import time
import unicodedata

from django.db import transaction

HEADERS = ["First Name", "Last Name", "Email Address", "Phone Number", "City", "Source", "Notes"]
FIRST = ["Ana", "Rui", "Eva", "Ivo", "Lia", "Tomás", "Maria", "João", "Inês", "Pedro", "Sofia", "Nuno", "Beatriz"]
FIRST += ["Catarina", "Diogo", "Francisca", "Gonçalo", "Helena", "Luís", "Marta", "Ricardo", "Teresa", "Vasco"]
LAST = ["Silva", "Costa", "Lopes", "Reis", "Sousa", "Neves", "Santos", "Ferreira", "Pereira", "Oliveira", "Gonçalves"]
LAST += ["Rodrigues", "Martins", "Jesus", "Fernandes", "Gomes", "Marques", "Almeida", "Ribeiro", "Pinto", "Carvalho"]
CITIES = ["Lisboa", "Porto", "Braga", "Coimbra", "Faro", "Aveiro", "Setúbal", "Évora", "Viseu", "Leiria"]
SOURCES = ["website", "referral", "social", "event", "cold call", ""]


class _Rollback(Exception):
    pass


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _respell(name: str, rng: random.Random) -> str:
    """The same name written slightly differently: accents dropped, a letter doubled, or the case changed."""
    if not name:
        return name
    way = rng.randrange(3)
    if way == 0 and _ascii(name) != name:
        return _ascii(name)
    if way <= 1 and len(name) > 3:
        i = rng.randrange(1, len(name) - 1)
        return name[:i] + name[i] + name[i:]
    return name.upper() if rng.random() < 0.5 else name.lower()


def _reformat_phone(phone: str, rng: random.Random) -> str:
    """`+351912345678` as `00351 912 345 678` or `912-345-678` style: the same number to the duplicate keys."""
    digits = "".join(c for c in phone if c.isdigit())
    if len(digits) < 9:
        return phone
    local = digits[-9:]
    if rng.random() < 0.5:
        return f"00{digits[:-9]} {local[:3]} {local[3:6]} {local[6:]}"
    return f"+{digits[:-9]} ({local[:3]}) {local[3:6]}-{local[6:]}"


def existing_people(count: int, *, seed: int = 17) -> list[dict]:
    """Up to `count` people already in the database, half open leads, half contacts (a random, seeded sample)."""
    from apps.crm.models import OPEN_LEAD_STATUSES, Lead
    from apps.customers.models import Customer

    rng = random.Random(seed)  # noqa: S311 - test data
    fields = ("first_name", "last_name", "email", "phone")
    lead_ids = list(
        Lead.objects.filter(status__in=OPEN_LEAD_STATUSES, merged_at__isnull=True)
        .exclude(email="", phone="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    leads = list(
        Lead.objects.filter(pk__in=rng.sample(lead_ids, min(count // 2, len(lead_ids)))).values(*fields, "city")
    )
    contact_ids = list(
        Customer.objects.filter(erased_at__isnull=True, deleted_at__isnull=True)
        .exclude(email="", phone="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    picked = rng.sample(contact_ids, min(count - len(leads), len(contact_ids)))
    contacts = [
        {**row, "city": (row.pop("address") or {}).get("city", "")}
        for row in Customer.objects.filter(pk__in=picked).values(*fields, "address")
    ]
    people = [{**p, "kind": "lead"} for p in leads] + [{**p, "kind": "contact"} for p in contacts]
    people.sort(key=lambda p: (p["kind"], p["email"], p["phone"]))
    rng.shuffle(people)
    return people


def lead_rows(count: int, *, people: list[dict], seed: int | None = None, dup_share: float = 0.10):
    """`count` CSV data rows and what was planted: {"existing": n, "in_file": n, "bad": n}."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    tag = secrets.token_hex(3) if seed is None else f"{seed:06x}"[-6:]
    planted = {"existing": 0, "in_file": 0, "bad": 0}
    rows: list[list[str]] = []
    good: list[int] = []  # rows that are neither bad nor repeats: what a repeat copies
    pool = list(people)
    for i in range(count):
        roll = rng.random()
        if roll < dup_share and pool:
            person = pool.pop()
            email = person["email"] or ""
            if email and rng.random() < 0.5:
                email = email.upper() if rng.random() < 0.5 else email.capitalize()
            phone = _reformat_phone(person["phone"], rng) if person["phone"] else ""
            if email and phone and rng.random() < 0.3:
                phone = ""  # only the email left to find them by
            elif email and phone and rng.random() < 0.3:
                email = ""  # only the phone
            rows.append(
                [
                    _respell(person["first_name"], rng),
                    _respell(person["last_name"], rng),
                    email,
                    phone,
                    person.get("city") or rng.choice(CITIES),
                    rng.choice(SOURCES),
                    "Already known? (benchmark)",
                ]
            )
            planted["existing"] += 1
            continue
        if roll < dup_share + 0.01 and good:
            rows.append(list(rows[rng.choice(good)]))  # the same person twice in one file
            planted["in_file"] += 1
            continue
        first, last = rng.choice(FIRST), rng.choice(LAST)
        row = [
            first,
            f"{last} {rng.choice(LAST)}" if rng.random() < 0.3 else last,
            f"{_ascii(first).lower()}.{_ascii(last).lower()}.{tag}{i}@example.org",
            f"+3519{rng.randrange(10_000_000, 99_999_999)}",
            rng.choice(CITIES),
            rng.choice(SOURCES),
            rng.choice(["", "", "Asked about home cover", "Call after 6 pm", "Has two cars"]),
        ]
        if roll > 0.99:
            broken = rng.randrange(3)
            if broken == 0:
                row[0] = row[1] = ""
            elif broken == 1:
                row[2] = "not-an-email"
            else:
                row[3] = "call me"
            planted["bad"] += 1
        else:
            good.append(len(rows))
        rows.append(row)
    return rows, planted


def lead_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def run(sizes: list[int], *, stdout=None, seed: int | None = None) -> list[dict]:
    """Each size: generate, import as the manager (rolled back), report seconds, rows/s, duplicates, failures."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.accounts.models import User
    from apps.crm import imports
    from apps.crm.models import LeadKind

    manager = User.objects.get(email="manager@example.com")
    results = []
    for size in sizes:
        people = existing_people(int(size * 0.1) + 10, seed=seed if seed is not None else 17)
        rows, planted = lead_rows(size, people=people, seed=seed)
        data = lead_csv(rows)
        result: dict = {"rows": size, "bytes": len(data), "planted": planted}
        started = time.perf_counter()
        try:
            with transaction.atomic():
                report = imports.leads_import(
                    file=SimpleUploadedFile(f"bench-leads-{size}.csv", data, content_type="text/csv"),
                    kind=LeadKind.CLIENT,
                    actor=manager,
                )
                seconds = time.perf_counter() - started
                raise _Rollback
        except _Rollback:
            pass
        result.update(
            seconds=round(seconds, 2),
            rows_per_s=round(size / seconds) if seconds else None,
            created=report["created"],
            duplicates_skipped=report["skipped_duplicates"],
            duplicates_flagged=report["flagged_duplicates"],
            duplicates_found=report["skipped_duplicates"] + report["flagged_duplicates"],
            failed=report["failed"],
            target_s=10.0 * size / 10_000,
        )
        results.append(result)
        if stdout is not None:
            stdout.write(
                f"lead import {size:>6d} rows: {result['seconds']:.2f} s ({result['rows_per_s']}/s), "
                f"{result['created']} created, {result['duplicates_found']} duplicates found "
                f"({result['duplicates_skipped']} skipped, {result['duplicates_flagged']} flagged; planted "
                f"{planted['existing']} known people + {planted['in_file']} repeats), {result['failed']} rows failed "
                f"(planted {planted['bad']}); target {result['target_s']:.1f} s"
            )
    return results
