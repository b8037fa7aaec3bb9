"""Generated renewal spreadsheets for the ingest benchmark: realistic columns, about 2 % bad rows."""

import io
import itertools
import random
import secrets
import unicodedata
from datetime import date, timedelta

import xlsxwriter

HEADERS = ["Policy No", "Customer Name", "E-mail", "Phone", "Policy Type", "Expiry Date", "Premium", "Priority"]
FIRST = ["Ana", "Rui", "Eva", "Ivo", "Lia", "Tom", "Maria", "João", "Inês", "Pedro", "Sofia", "Nuno"]
LAST = ["Silva", "Costa", "Lopes", "Reis", "Sousa", "Neves", "Santos", "Ferreira", "Pereira", "Oliveira"]


def renewal_rows(count: int, *, policy_type: str = "auto", seed: int | None = None, bad_share: float = 0.02):
    """Yield `count` data rows (no header). Policy numbers are unique per call (a random run tag)."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    tag = secrets.token_hex(3).upper() if seed is None else f"{seed:06X}"[-6:]
    today = date.today()
    for i in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        row = [
            f"BR-{tag}-{i:07d}",
            f"{first} {last}",
            f"{_ascii(first)}.{_ascii(last)}.{tag.lower()}{i}@example.net",
            f"+3519{rng.randrange(10_000_000, 99_999_999)}",
            policy_type,
            today + timedelta(days=rng.randrange(10, 120)),
            round(rng.uniform(150, 2500), 2),
            rng.choice(["low", "medium", "medium", "high"]),
        ]
        if rng.random() < bad_share:
            broken = rng.randrange(3)
            if broken == 0:
                row[0] = "bad number!"
            elif broken == 1:
                row[2] = "not-an-email"
            else:
                row[6] = -10
        yield row


def _ascii(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


def xlsx_bytes(rows) -> bytes:
    """An XLSX workbook of `rows` (the first is the header); dates are written as Excel dates."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(r, c, value, date_format)
            else:
                sheet.write(r, c, value)
    workbook.close()
    return buffer.getvalue()


def renewal_xlsx(count: int, **kwargs) -> bytes:
    return xlsx_bytes(itertools.chain([HEADERS], renewal_rows(count, **kwargs)))
