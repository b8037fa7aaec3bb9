"""The help centre and the customer's support requests (seed 002 #7): FAQs with search (public), "contact us"
(opens a ticket), my requests with the conversation, a reply box and reopen. Reads go through the support app's
selectors (a customer never gets an internal note) and writes through its services."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.core import errors
from apps.policies.selectors import policies_visible_to
from apps.support import selectors as support_selectors
from apps.support import services as support_services
from apps.support.models import Faq, TicketCategory, TicketStatus
from apps.support.votes import voter_key

from .customer_views import customer_required
from .throttling import rate_limited


class ContactForm(forms.Form):
    category = forms.ChoiceField(label="What is it about", choices=TicketCategory.choices)
    policy = forms.ModelChoiceField(label="Which policy (optional)", queryset=None, required=False)
    subject = forms.CharField(max_length=200)
    description = forms.CharField(label="Your message", max_length=20000, widget=forms.Textarea(attrs={"rows": 6}))
    file = forms.FileField(
        label="Attach a file (optional)", required=False, help_text="JPEG, PNG, HEIC or PDF, up to 20 MB."
    )

    def __init__(self, *args, policies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy"].queryset = policies


class ReplyForm(forms.Form):
    body = forms.CharField(label="Your reply", max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))
    file = forms.FileField(label="Attach a file (optional)", required=False)


def help_centre(request):
    """FAQs by category, or the search's results by relevance; a search that finds nothing is recorded."""
    term = (request.GET.get("q") or "").strip()[:200]
    faqs = list(support_selectors.faqs_search(term)[:30]) if term else list(support_selectors.faqs_published())
    if term and not faqs:
        support_services.faq_search_miss_record(query=term)
    categories = list(support_selectors.faq_categories())
    by_category = {c.pk: [] for c in categories}
    for faq in faqs:
        by_category.setdefault(faq.category_id, []).append(faq)
    context = {
        "term": term,
        "faqs": faqs,
        "sections": [(c, by_category.get(c.pk, [])) for c in categories if by_category.get(c.pk)],
    }
    return render(request, "portal/help.html", context)


@require_POST
def faq_vote(request, pk):
    faq = get_object_or_404(Faq, pk=pk, is_published=True)
    if not request.session.session_key:
        request.session.save()
    support_services.faq_vote(faq=faq, voter=voter_key(request), helpful=request.POST.get("helpful") == "yes")
    messages.success(request, "Thank you for your feedback.")
    return redirect(f"{reverse('portal:help')}#faq-{faq.pk}")


@customer_required
@rate_limited("documents")
def contact(request):
    customer = getattr(request.user, "customer_profile", None)
    policies = policies_visible_to(request.user)
    form = ContactForm(request.POST or None, request.FILES or None, policies=policies)
    if customer is None:
        messages.error(request, "Your account has no customer record yet; please call us.")
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with errors.on_form(form) as outcome:
            ticket = support_services.ticket_open(
                actor=request.user,
                customer=customer,
                subject=data["subject"],
                description=data["description"],
                category=data["category"],
                policy=data["policy"],
                files=[data["file"]] if data.get("file") else (),
                request=request,
            )
        if not outcome.failed:
            messages.success(request, f"Thank you — your request {ticket.ticket_number} is with our team.")
            return redirect("portal:request", pk=ticket.pk)
    return render(request, "portal/contact.html", {"form": form})


@customer_required
def request_list(request):
    tickets = support_selectors.tickets_of_customer(user=request.user)
    return render(request, "portal/requests.html", {"tickets": tickets})


@customer_required
@rate_limited("documents")
def request_detail(request, pk):
    ticket = support_selectors.ticket_get_for_user(user=request.user, pk=pk)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        with errors.on_form(form, "body") as outcome:
            support_services.ticket_message_add(
                ticket=ticket,
                actor=request.user,
                body=form.cleaned_data["body"],
                files=[form.cleaned_data["file"]] if form.cleaned_data.get("file") else (),
                request=request,
            )
        if not outcome.failed:
            messages.success(request, "Your reply is sent.")
            return redirect("portal:request", pk=ticket.pk)
    context = {
        "ticket": ticket,
        "conversation": support_selectors.ticket_messages(user=request.user, ticket=ticket),
        "form": form,
        "can_reply": ticket.status != TicketStatus.CLOSED and not ticket.merged_into_id,
        "can_reopen": ticket.status == TicketStatus.RESOLVED,
    }
    return render(request, "portal/request_detail.html", context)


@customer_required
@require_POST
def request_reopen(request, pk):
    ticket = support_selectors.ticket_get_for_user(user=request.user, pk=pk)
    with errors.as_message(request) as outcome:
        support_services.ticket_update(ticket=ticket, actor=request.user, status=TicketStatus.REOPENED)
    if not outcome.failed:
        messages.success(request, "Your request is open again; we will be in touch.")
    return redirect("portal:request", pk=ticket.pk)
