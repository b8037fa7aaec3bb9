"""`manage.py import_renewals FILE --as EMAIL [--policy-type auto]`: a renewal spreadsheet, processed here."""

from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core import errors
from apps.renewals.ingest import batch_create, batch_process
from apps.renewals.models import UploadBatch


class Command(BaseCommand):
    help = (
        "Import a renewal spreadsheet (XLSX or CSV) in this process, with a progress bar. "
        "The same checks as POST /api/v1/upload/batch; the same file twice is the same batch."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--as", dest="username", required=True, help="Email of the admin or manager it is under")
        parser.add_argument("--policy-type", default="auto", help="Product line for rows without one (default auto)")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (for logs and cron)")

    def handle(self, *args, file: str, username: str, policy_type: str, no_progress: bool, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        actor = User.objects.filter(email__iexact=username.strip(), is_active=True).first()
        if actor is None or actor.role not in (Role.ADMIN, Role.MANAGER):
            raise CommandError(f"{username!r} is not an active admin or manager.")
        with errors.as_command_error(), path.open("rb") as handle:
            upload = File(handle, name=path.name)
            batch, _ = batch_create(file=upload, policy_type=policy_type, actor=actor, enqueue=False)
        if batch.status == UploadBatch.Status.COMPLETED:
            self.stdout.write(f"Already imported as batch {batch.pk} ({batch.successful_records} rows succeeded).")
            return
        self.stdout.write(f"Batch {batch.pk}: {batch.total_records} rows from {path.name}")
        stream = self.stderr._out  # the raw stream: OutputWrapper would end every redraw with a newline
        with tqdm(total=batch.total_records, unit="row", disable=no_progress, file=stream) as bar:

            def progress(done: int, total: int) -> None:
                bar.update(done - bar.n)

            batch = batch_process(batch_id=batch.pk, progress=progress)
        if batch.status != UploadBatch.Status.COMPLETED:
            raise CommandError(f"Batch {batch.pk} {batch.status}: {batch.message or 'another worker holds it'}")
        style = self.style.SUCCESS if batch.failed_records == 0 else self.style.WARNING
        self.stdout.write(
            style(f"Batch {batch.pk} completed: {batch.successful_records} succeeded, {batch.failed_records} failed.")
        )
        if batch.failed_records:
            self.stdout.write(f"Failed rows: GET /api/v1/upload/batch/{batch.pk}/failed-rows (or the admin).")
