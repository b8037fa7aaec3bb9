import hashlib

import factory
from django.core.files.base import ContentFile

from apps.documents.models import Document
from tests.factories.accounts import UserFactory
from tests.factories.customers import CustomerFactory


class DocumentFactory(factory.django.DjangoModelFactory):
    """A clean, stored file owned by a customer (pass entity_type/entity_id to hang it on a claim, a policy...)."""

    class Meta:
        model = Document

    class Params:
        content = factory.Sequence(lambda n: f"document {n}".encode())

    customer = factory.SubFactory(CustomerFactory)
    entity_type = "customer"
    entity_id = factory.LazyAttribute(lambda o: o.customer.pk if o.customer else None)
    original_name = factory.Sequence(lambda n: f"file-{n}.txt")
    file = factory.LazyAttribute(lambda o: ContentFile(o.content, name=o.original_name))
    mime_type = "text/plain"
    extension = ".txt"
    size = factory.LazyAttribute(lambda o: len(o.content))
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.content).hexdigest())
    scan_status = Document.ScanStatus.CLEAN
    visibility = Document.Visibility.CUSTOMER
    uploaded_by = factory.SubFactory(UserFactory)
