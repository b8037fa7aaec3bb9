import factory
from django.utils import timezone

from apps.customers.models import Customer, CustomerSearchTerm, Interaction
from apps.customers.services import customer_codes_reserve, national_id_hash
from tests.factories.accounts import UserFactory


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    customer_code = factory.LazyFunction(lambda: customer_codes_reserve(1)[0])
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"customer{n}@example.net")
    phone = factory.Sequence(lambda n: f"+35191{n:07d}")
    address = factory.LazyFunction(lambda: {"line1": "Rua Augusta 1", "city": "Lisboa", "country": "PT"})
    national_id_hash = factory.LazyAttribute(lambda o: national_id_hash(o.national_id))
    national_id = None


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    customer = factory.SubFactory(CustomerFactory)
    type = "call"
    summary = "Discussed renewal options."
    occurred_at = factory.LazyFunction(timezone.now)
    author = factory.SubFactory(UserFactory)


class CustomerSearchTermFactory(factory.django.DjangoModelFactory):
    """A search term of a customer (in the app only the triggers on customers_customer write these: a customer's
    own lexemes are there already, so this one is a word their vector does not have)."""

    class Meta:
        model = CustomerSearchTerm

    customer = factory.SubFactory(CustomerFactory)
    lexeme = factory.Sequence(lambda n: f"zz-extra-{n}")
    share = 0.06079271
    agent = factory.SelfAttribute("customer.agent")
    live = True
