"""The local provider: the default in `make run` and tests, no network.

It works like a small hosted model under the same interface:
- an intent model (scikit-learn: character n-gram TF-IDF + logistic regression, trained in-process on the labelled
  examples below, ~20 ms once per process) picks what the user wants among the intents the offered tools allow;
- slot extraction (apps.assistant.providers.slots: dateparser, phonenumbers, regexes) fills the tool's arguments;
  a missing required slot becomes a question, so a first notice of loss is gathered step by step (what, when,
  where, photos, amount) from the transcript alone — the provider keeps no state between calls;
- the second call, with the tools' results, is answered from those results;
- a question is answered extractively from the retrieved passages (the sentences sharing most words with the
  question, cited [n]) and the caller's own records; with nothing relevant it says so and offers a person.
"""

import json
import re
import uuid
from datetime import timedelta
from functools import cache

from django.utils import timezone

from . import slots
from .base import Reply, Request, ToolCall, Turn
from .text import STOP_WORDS as STOP

MODEL_NAME = "local-retrieval-1"

EXAMPLES: dict[str, list[str]] = {
    "greeting": ["hi", "hello", "good morning", "hey there", "thanks", "thank you", "bye"],
    "handover": [
        "I want to talk to a person",
        "speak to a human",
        "can someone call me",
        "I need an agent",
        "transfer me to support",
        "talk to a real person please",
        "open a support ticket",
        "contact customer service",
        "this is not helping, get me a human",
    ],
    "report_claim": [
        "my windscreen is cracked",
        "I want to report a claim",
        "I had an accident",
        "my car was stolen",
        "a stone hit my windshield",
        "I need to file a claim",
        "my house was flooded",
        "someone broke into my car",
        "there is water damage in my kitchen",
        "my car was damaged in the storm",
        "I crashed my car",
        "report a loss",
        "file a claim for my broken window",
    ],
    "claim_status": [
        "what is the status of my claim",
        "where is my claim",
        "has my claim been approved",
        "claim status",
        "any news on claim CLM-2026-000123",
        "is my claim paid yet",
    ],
    "my_policy": [
        "what does my policy cover",
        "what is my deductible",
        "when does my policy renew",
        "am I covered for glass",
        "what is my excess",
        "show my policy",
        "policy summary for POL-2026-000001",
        "what cover do I have",
        "when is my renewal date",
        "what is the limit on my home policy",
    ],
    "payments_due": [
        "what do I owe",
        "when is my next payment",
        "payments due",
        "how much do I have to pay",
        "is there an outstanding instalment",
        "my next premium",
    ],
    "create_client_lead": [
        "create a client lead for Maria Santos",
        "add a new lead John Smith john@example.com",
        "new prospect Ana Costa 912345678 interested in home insurance",
        "log a lead for Pedro Alves",
        "create lead for Rui Gomes, email rui@x.pt",
        "add client lead",
    ],
    "create_recruit_lead": [
        "create a recruit lead for Carla Dias",
        "new agent candidate Tiago Silva",
        "add a recruit Joana Reis licensed",
        "log a recruiting lead for Bruno Lopes",
        "new recruit lead",
    ],
    "update_lead": [
        "mark lead 42 as contacted",
        "update lead #17 email to new@x.pt",
        "set lead 8 to qualified",
        "change the phone of lead 12",
        "lead 5 is lost, went with a competitor",
        "update the lead status",
    ],
    "schedule_appointment": [
        "schedule a meeting with Maria tomorrow at 3pm",
        "book an appointment on Friday at 10:00",
        "set up a call next Monday at 9",
        "put a meeting in my calendar for tomorrow morning",
        "schedule appointment with lead 42 on 12 March at 14:30",
        "book a review meeting next week",
    ],
    "draft_email": [
        "draft an email to Maria about her renewal",
        "write an email to the client",
        "compose a follow-up email",
        "draft a message to john@example.com thanking him",
        "prepare an email about the missing documents",
    ],
    "find_customer": [
        "find customer Ana Costa",
        "look up the customer Silva",
        "who is customer CUS-000123",
        "search customers for Pedro",
    ],
    "find_leads": ["find lead Maria", "search my leads for Santos", "show leads named John", "look up lead Costa"],
    "renewals_due": [
        "which renewals are due",
        "renewal cases due this week",
        "what renewals do I have coming up",
        "list renewal cases due in 30 days",
        "upcoming renewals",
    ],
    "search_knowledge": [
        "search the knowledge hub for complaints",
        "look in the knowledge base for claims procedure",
        "find an article about motor claims",
        "knowledge hub windscreen",
    ],
    "question": [
        "how do I file a claim",
        "how can I improve renewal rates",
        "what documents does a motor claim need",
        "how long does a claim take",
        "how can I pay my premium",
        "what happens if I miss a payment",
        "what should I do at the scene of an accident",
        "how do I change my address",
        "what is a deductible",
        "how to handle a complaint",
        "what communication strategies work best",
        "tips for retention",
    ],
}

INTENT_TOOL = {
    "handover": "handOver",
    "report_claim": "fileClaim",
    "claim_status": "claimStatus",
    "my_policy": "policySummary",
    "payments_due": "paymentsDue",
    "create_client_lead": "createClientLead",
    "create_recruit_lead": "createRecruitLead",
    "update_lead": "updateClientLead",
    "schedule_appointment": "scheduleAppointment",
    "draft_email": "draftEmail",
    "find_customer": "findCustomer",
    "find_leads": "findLeads",
    "renewals_due": "renewalCasesDue",
    "search_knowledge": "searchKnowledgeHub",
}

# The questions the claim flow asks; a user's next message answers the slot the last question named.
FNOL_QUESTIONS = {
    "claimType": "What happened? (for example: windscreen cracked, car stolen, water leak)",
    "policyNumber": "Which policy is this about? Your policies: {policies}.",
    "incidentDate": "When did it happen? (a date, or 'yesterday')",
    "incidentPlace": "Where did it happen? (a town or an address)",
    "hasPhotos": "Do you have photos of the damage? (yes or no — you can attach them to the claim once it is filed)",
    "estimatedAmount": "Roughly how much will the repair cost, in euros? (say 'not sure' if you don't know)",
}
FNOL_ORDER = ["claimType", "policyNumber", "incidentDate", "incidentPlace", "hasPhotos", "estimatedAmount"]
FNOL_MARK = "[claim step: "


@cache
def intent_model():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    texts = [text for examples in EXAMPLES.values() for text in examples]
    labels = [intent for intent, examples in EXAMPLES.items() for _ in examples]
    model = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), lowercase=True, sublinear_tf=True),
        LogisticRegression(max_iter=2000, C=8.0),
    )
    model.fit(texts, labels)
    return model


def classify(text: str, allowed: set[str]) -> tuple[str, float]:
    """The most likely allowed intent and its probability."""
    model = intent_model()
    probabilities = model.predict_proba([text[:1000]])[0]
    ranked = sorted(zip(model.classes_, probabilities, strict=True), key=lambda pair: -pair[1])
    for intent, probability in ranked:
        if intent in allowed:
            return intent, float(probability)
    return "question", 0.0


def words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-zà-ÿ0-9]+", (text or "").lower()) if w not in STOP and len(w) > 2}


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+|\s…\s", text or "") if len(s.strip()) > 12]


class LocalProvider:
    name = "local"

    def complete(self, request: Request) -> Reply:
        if request.channel == "mapping":
            return self.map_headers(request)
        tools = {t.name for t in request.tools}
        last = request.turns[-1] if request.turns else Turn(role="user", text="")
        if last.role == "tool":
            return self.after_tools(request)
        text = last.text or ""
        allowed = {"greeting", "question"} | {i for i, tool in INTENT_TOOL.items() if tool in tools}
        if "updateRecruitLead" in tools or "updateClientLead" in tools:
            allowed.add("update_lead")
        flow = self.open_claim_flow(request) if "fileClaim" in tools else None
        if flow is not None:
            return self.claim_step(request, flow)
        intent, confidence = classify(text, allowed)
        if confidence < 0.12:
            intent = "question"
        handler = getattr(self, f"intent_{intent}", None)
        if handler is not None:
            reply = handler(request, text)
            if reply is not None:
                reply.confidence = max(reply.confidence, round(confidence, 2))
                return reply
        return self.answer(request, text)

    @staticmethod
    def map_headers(request: Request) -> Reply:
        """The AI step of `/leads/bulk-map`: the same JSON a hosted model is asked for (apps.assistant.header_mapping)
        from the request's `{"headers", "fields"}`, placed word by word (providers.headers)."""
        from .headers import place

        try:
            asked = json.loads(request.turns[-1].text)
            headers, fields = asked["headers"], asked["fields"]
        except (ValueError, KeyError, TypeError, IndexError):
            return Reply(text="{}", confidence=0.0)
        mappings = [place(str(header), fields) for header in headers]
        return Reply(text=json.dumps({"mappings": mappings}), confidence=1.0)

    # --- tool calls -------------------------------------------------------------------------------------------

    @staticmethod
    def call(name: str, **arguments) -> Reply:
        args = {k: v for k, v in arguments.items() if v not in (None, "", [])}
        return Reply(
            tool_calls=[ToolCall(id=f"call_{uuid.uuid4().hex[:12]}", name=name, arguments=args)], confidence=0.8
        )

    def intent_greeting(self, request: Request, text: str) -> Reply:
        if request.channel == "customer":
            hello = (
                "Hello! I can answer questions about your policies, payments and claims, help you report a claim, "
                "or put you in touch with our team."
            )
        else:
            hello = (
                "Hello! I can search the knowledge hub, find customers and leads, create or update leads, "
                "book appointments and draft e-mails."
            )
        if re.search(r"\bthank", text, re.IGNORECASE):
            hello = "You're welcome. Anything else?"
        return Reply(text=hello, confidence=0.9, suggestions=self.suggest(request.channel, "greeting"))

    def intent_handover(self, request: Request, text: str) -> Reply:
        history = [t.text for t in request.turns if t.role == "user"][-4:]
        return self.call("handOver", subject="Help requested from the chat", summary="\n".join(history)[:4000])

    def intent_claim_status(self, request: Request, text: str) -> Reply:
        m = slots.CLAIM_NUMBER.search(text)
        return self.call("claimStatus", claimNumber=m.group(0).upper() if m else None)

    def intent_my_policy(self, request: Request, text: str) -> Reply | None:
        m = slots.POLICY_NUMBER.search(text)
        if m is None and request.channel != "customer":
            return Reply(text="Which policy? Give me its number (for example POL-2026-000001).", confidence=0.6)
        return self.call("policySummary", policyNumber=m.group(0).upper() if m else None)

    def intent_payments_due(self, request: Request, text: str) -> Reply:
        return self.call("paymentsDue")

    def _lead_args(self, text: str) -> dict:
        found = slots.names(text)
        first, last = slots.split_name(found[0]) if found else ("", "")
        product = next(
            (
                w
                for w in ("auto", "motor", "home", "health", "life", "travel")
                if re.search(rf"\b{w}\b", text, re.IGNORECASE)
            ),
            None,
        )
        amounts = slots.amounts(text)
        return {
            "firstName": first,
            "lastName": last,
            "email": next(iter(slots.emails(text)), None),
            "phone": next(iter(slots.phones(text)), None),
            "productInterest": "auto" if product == "motor" else product,
            "estimatedValue": float(amounts[0]) if amounts else None,
        }

    def intent_create_client_lead(self, request: Request, text: str) -> Reply:
        args = self._lead_args(text)
        if not args["firstName"]:
            return Reply(text="What is the lead's name (and, if you have them, e-mail and phone)?", confidence=0.6)
        return self.call("createClientLead", **args)

    def intent_create_recruit_lead(self, request: Request, text: str) -> Reply:
        args = self._lead_args(text)
        args.pop("productInterest"), args.pop("estimatedValue")
        if not args["firstName"]:
            return Reply(text="What is the candidate's name (and e-mail or phone)?", confidence=0.6)
        licensed = True if re.search(r"\blicen[cs]ed\b", text, re.IGNORECASE) else None
        return self.call("createRecruitLead", **args, licensed=licensed)

    def intent_update_lead(self, request: Request, text: str) -> Reply:
        lead_id = slots.record_id(text)
        if lead_id is None:
            return Reply(text="Which lead? Give me its number (find it with “find lead <name>”).", confidence=0.6)
        status = next(
            (s for s in ("New", "Contacted", "Qualified", "Lost") if re.search(rf"\b{s}\b", text, re.IGNORECASE)), None
        )
        tool = "updateRecruitLead" if re.search(r"\brecruit|candidate\b", text, re.IGNORECASE) else "updateClientLead"
        reason = None
        if status == "Lost":
            m = re.search(r"(?:because|reason:?|,)\s*(.+)$", text, re.IGNORECASE)
            reason = m.group(1).strip() if m else "Marked lost from the copilot"
        return self.call(
            tool,
            leadId=lead_id,
            status=status,
            lostReason=reason,
            email=next(iter(slots.emails(text)), None),
            phone=next(iter(slots.phones(text)), None),
        )

    def intent_schedule_appointment(self, request: Request, text: str) -> Reply:
        start = slots.when(text, future=True)
        if start is None:
            return Reply(text="When should I book it? (for example “tomorrow at 15:00”)", confidence=0.6)
        if start.hour == 0 and start.minute == 0 and not re.search(r"\b(0?0:00|midnight)\b", text):
            start = start.replace(hour=9)  # a day without a time: the start of the working day
        who = slots.names(text)
        title_m = re.search(
            r"\b(?:meeting|call|appointment|review)\b.*?(?:\bwith\s+([\w\s]+?))?(?=\s+(?:on|at|tomorrow|next|this)\b|$)",
            text,
            re.IGNORECASE,
        )
        title = (
            f"Meeting with {who[0]}" if who else (title_m.group(0).strip().capitalize() if title_m else "Appointment")
        )
        lead_id = slots.record_id(text) if re.search(r"\blead\b", text, re.IGNORECASE) else None
        return self.call(
            "scheduleAppointment",
            title=title[:200],
            start=start.isoformat(),
            durationMinutes=slots.duration_minutes(text) or 30,
            leadId=lead_id,
        )

    def intent_draft_email(self, request: Request, text: str) -> Reply:
        who = slots.names(text)
        m = re.search(r"\babout\s+(.+)$", text, re.IGNORECASE)
        purpose = m.group(1).strip() if m else text
        return self.call(
            "draftEmail",
            to=next(iter(slots.emails(text)), None),
            recipientName=who[0] if who else None,
            subject=(purpose[:1].upper() + purpose[1:80]) if m else None,
            purpose=f"I am writing to you about {purpose.rstrip('.')}." if m else purpose,
        )

    def _query(self, text: str, *drop: str) -> str:
        q = re.sub(rf"\b(?:{'|'.join(drop)})\b", " ", text, flags=re.IGNORECASE)
        return " ".join(q.split()) or text

    def intent_find_customer(self, request: Request, text: str) -> Reply:
        return self.call(
            "findCustomer",
            query=self._query(text, "find", "look", "up", "search", "customers?", "for", "the", "who", "is"),
        )

    def intent_find_leads(self, request: Request, text: str) -> Reply:
        return self.call(
            "findLeads", query=self._query(text, "find", "search", "show", "look", "up", "my", "leads?", "for", "named")
        )

    def intent_renewals_due(self, request: Request, text: str) -> Reply:
        m = re.search(r"(\d{1,3})\s*days?", text)
        days = int(m.group(1)) if m else (7 if re.search(r"\bweek\b", text, re.IGNORECASE) else 30)
        return self.call("renewalCasesDue", days=days)

    def intent_search_knowledge(self, request: Request, text: str) -> Reply:
        return self.call(
            "searchKnowledgeHub",
            query=self._query(
                text,
                "search",
                "the",
                "knowledge",
                "hub",
                "base",
                "find",
                "an?",
                "article",
                "about",
                "for",
                "look",
                "in",
            ),
        )

    # --- first notice of loss, step by step -----------------------------------------------------------------

    def open_claim_flow(self, request: Request) -> int | None:
        """Index of the user turn that started a claim report still being gathered, else None: the questions of
        the flow carry a step marker, so the transcript alone says where it stands."""
        turns = request.turns
        last = len(turns) - 1
        if last < 0 or turns[last].role != "user":
            return None
        if re.search(r"\b(cancel|stop|never ?mind|forget it)\b", turns[last].text, re.IGNORECASE):
            return None
        start = None
        for index in range(last - 1, -1, -1):
            turn = turns[index]
            if turn.role != "assistant":
                continue
            if turn.tool_calls or FNOL_MARK not in (turn.text or ""):
                break
            start = max(index - 1, 0)
        if start is not None:
            return start
        text = turns[last].text
        intent, confidence = classify(
            text, {"report_claim", "question", "claim_status", "my_policy", "handover", "greeting", "payments_due"}
        )
        question = text.rstrip().endswith("?") or re.match(
            r"^\s*(how|what|when|where|why|which|who|can|could|do|does|is|are|should|will|would)\b", text, re.IGNORECASE
        )
        if (intent == "report_claim" and confidence >= 0.2 and not question) or (
            slots.peril(text) and not question and intent not in ("claim_status", "my_policy", "handover")
        ):
            return last
        return None

    def claim_step(self, request: Request, start: int) -> Reply:
        policies = request.facts.get("policies", [])
        found: dict = {}
        asked = None
        for turn in request.turns[start:]:
            if turn.role == "assistant":
                m = re.search(re.escape(FNOL_MARK) + r"(\w+)\]", turn.text or "")
                asked = m.group(1) if m else None
                continue
            if turn.role != "user":
                continue
            text = turn.text
            if asked:
                self.fill_answer(found, asked, text, policies)
            self.fill_free(found, text, policies)
            asked = None
        if "policyNumber" not in found and "claimType" in found:
            fitting = [
                p for p in policies if any(found["claimType"] in c.get("perils", []) for c in p.get("covers", []))
            ]
            if len(fitting) == 1:
                found["policyNumber"] = fitting[0]["policy_number"]
            elif not fitting and policies:
                return Reply(
                    text="None of your policies covers that kind of loss, so I cannot report it as a claim here. "
                    "Would you like me to put you in touch with our team? (say “talk to a person”)",
                    confidence=0.7,
                )
        for slot in FNOL_ORDER:
            if slot not in found:
                listing = ", ".join(f"{p['policy_number']} ({p['product']})" for p in policies) or "none found"
                question = FNOL_QUESTIONS[slot].format(policies=listing)
                lead = (
                    "I can help you report this. "
                    if slot == FNOL_ORDER[0] or (len(found) <= 2 and slot == "incidentDate")
                    else ""
                )
                return Reply(text=f"{lead}{question} {FNOL_MARK}{slot}]", confidence=0.85)
        description = found.get("description") or "Reported through the chat."
        return self.call(
            "fileClaim",
            policyNumber=found["policyNumber"],
            claimType=found["claimType"],
            description=description,
            incidentDate=found["incidentDate"],
            incidentPlace=found["incidentPlace"],
            estimatedAmount=found.get("estimatedAmount", 0.0),
            hasPhotos=found.get("hasPhotos", False),
        )

    @staticmethod
    def fill_answer(found: dict, asked: str, text: str, policies: list[dict]) -> None:
        if asked == "incidentPlace" and text.strip():
            found["incidentPlace"] = re.sub(
                r"^(?:it was\s+)?(?:in|at|on|near)\s+", "", text.strip(), flags=re.IGNORECASE
            )[:200]
        elif asked == "hasPhotos":
            if slots.YES.search(text):
                found["hasPhotos"] = True
            elif slots.NO.search(text):
                found["hasPhotos"] = False
        elif asked == "estimatedAmount":
            amount = slots.bare_amount(text)
            if amount is not None:
                found["estimatedAmount"] = float(amount)
            elif slots.UNKNOWN.search(text) or slots.NO.search(text):
                found["estimatedAmount"] = 0.0
        elif asked == "claimType":
            found.setdefault("description", text.strip()[:4000])
        elif asked == "policyNumber":
            for p in policies:
                if (
                    p["policy_number"].lower() in text.lower()
                    or p["product"].lower() in text.lower()
                    or p.get("line", "~") in text.lower()
                ):
                    found["policyNumber"] = p["policy_number"]
                    break

    @staticmethod
    def fill_free(found: dict, text: str, policies: list[dict]) -> None:
        peril = slots.peril(text)
        if peril and "claimType" not in found:
            found["claimType"] = peril
            found.setdefault("description", text.strip()[:4000])
        m = slots.POLICY_NUMBER.search(text)
        if m and any(p["policy_number"].lower() == m.group(0).lower() for p in policies):
            found["policyNumber"] = next(
                p["policy_number"] for p in policies if p["policy_number"].lower() == m.group(0).lower()
            )
        if "incidentDate" not in found:
            day = slots.day(text)
            if day is not None and day <= timezone.localdate():
                found["incidentDate"] = day.isoformat()

    # --- after the tools ran ---------------------------------------------------------------------------------

    def after_tools(self, request: Request) -> Reply:
        results = []
        for turn in reversed(request.turns):
            if turn.role != "tool":
                break
            results.append(turn)
        parts, suggestions = [], []
        for turn in reversed(results):
            result = turn.result if isinstance(turn.result, dict) else {}
            parts.append(self.describe(turn.tool_name, result, request))
            suggestions += self.suggest(request.channel, turn.tool_name)
        return Reply(text="\n\n".join(p for p in parts if p), confidence=0.85, suggestions=suggestions[:3])

    def describe(self, tool: str, result: dict, request: Request) -> str:
        if "error" in result:
            details = result.get("details") or {}
            more = "; ".join(f"{k}: {v}" for k, v in details.items()) if isinstance(details, dict) else ""
            return f"I could not do that: {result['error']}" + (f" ({more})" if more else "")
        if result.get("status") == "proposed":
            return (
                f"I have prepared this for you: {result['summary']}. Please confirm to go ahead, or refuse to cancel."
            )
        if tool == "searchKnowledgeHub":
            rows = result.get("results", [])
            if not rows:
                return "I found nothing in the knowledge hub for that."
            return "From the knowledge hub:\n" + "\n".join(
                f"[{n}] {r['title']}: {r['excerpt'][:200]}" for n, r in enumerate(rows, 1)
            )
        if tool in ("findLeads", "findCustomer"):
            key = "leads" if tool == "findLeads" else "customers"
            rows = result.get(key, [])
            if not rows:
                return f"No {key} you can see match."
            lines = [
                f"#{r['id']} {r['name']} — {r.get('email') or ''} {r.get('phone') or ''} "
                f"{r.get('status', r.get('code', ''))}".rstrip()
                for r in rows
            ]
            return f"{len(rows)} {key}:\n" + "\n".join(lines)
        if tool == "policySummary":
            lines = []
            for p in result.get("policies", []):
                covers = (
                    "; ".join(f"{c['name']} (limit {c['limit']}, deductible {c['deductible']})" for c in p["covers"])
                    or "no covers listed"
                )
                lines.append(
                    f"Policy {p['policy_number']} ({p['product']}, {p['status']}): covers {covers}. "
                    f"Renews on {p['renewal_date']}; premium {p['premium']}."
                )
            return "\n".join(lines) or "You have no policies in force."
        if tool == "claimStatus":
            rows = result.get("claims", [])
            return (
                "\n".join(
                    f"Claim {c['claim_number']} on {c['policy_number']}: {c['status_label']} "
                    f"(incident {c['incident_date']})."
                    for c in rows
                )
                or "There are no claims."
            )
        if tool == "paymentsDue":
            rows = result.get("instalments", [])
            return (
                (
                    "Payments due:\n"
                    + "\n".join(f"{r['due_date']}: {r['amount']} on {r['policy_number']} ({r['status']})" for r in rows)
                )
                if rows
                else "You have nothing to pay at the moment."
            )
        if tool == "renewalCasesDue":
            rows = result.get("cases", [])
            if not rows:
                return f"No open renewal cases are due in the next {result.get('days')} days."
            return f"{len(rows)} renewal cases due within {result.get('days')} days:\n" + "\n".join(
                f"{c['case_number']} {c['customer']} — {c['policy_number']}, renews {c['renewal_date']} ({c['status']})"
                for c in rows
            )
        if tool == "draftEmail":
            d = result.get("draft", {})
            return (
                f"Here is a draft (not sent):\nTo: {d.get('to') or '—'}\nSubject: {d.get('subject')}\n\n{d.get('body')}"
            )
        if tool in ("createClientLead", "createRecruitLead", "updateClientLead", "updateRecruitLead"):
            lead = result.get("lead", {})
            return f"Done: lead #{lead.get('id')} {lead.get('name')} is {lead.get('status')}."
        if tool == "scheduleAppointment":
            a = result.get("appointment", {})
            clash = f" It overlaps {len(result['conflicts'])} other appointment(s)." if result.get("conflicts") else ""
            return f"Booked “{a.get('title')}” for {_when(a.get('start'))}.{clash}"
        if tool == "fileClaim":
            c = result.get("claim", {})
            return f"Your claim {c.get('claim_number')} is filed. You can add photos on the claim page."
        if tool == "handOver":
            return f"I have opened support request {result.get('ticket', {}).get('number')}; a person will answer you."
        return json.dumps(result, default=str)[:1000]

    # --- answering from the sources ----------------------------------------------------------------------------

    def answer(self, request: Request, text: str) -> Reply:
        query = {_stem(w) for w in words(text)}
        scored = []
        for n, source in enumerate(request.sources, 1):
            for position, sentence in enumerate(sentences(f"{source.title}. {source.text}")):
                overlap = len(query & {_stem(w) for w in words(sentence)})
                if overlap:
                    scored.append((overlap + source.rank, -position, n, sentence))
        facts = self.facts_answer(request, text)
        if not scored and not facts:
            offer = (
                " I can put you in touch with our team if you like (say “talk to a person”)."
                if request.channel == "customer"
                else ""
            )
            return Reply(
                text=f"I don't know that from the information I can see.{offer}",
                confidence=0.2,
                suggestions=self.suggest(request.channel, "question"),
            )
        scored.sort(reverse=True)
        chosen, cited = [], []
        for _, _, n, sentence in scored:
            if len(chosen) == 3:
                break
            if sentence not in [c[1] for c in chosen]:
                chosen.append((n, sentence))
                cited.append(request.sources[n - 1].ref)
        body = " ".join(f"{s.rstrip('.')}. [{n}]" for n, s in chosen)
        text_out = "\n\n".join(p for p in (facts, body) if p)
        confidence = min(0.95, 0.45 + 0.1 * len(chosen) + (0.2 if facts else 0))
        if facts:
            cited.append("platform_figures")
        return Reply(
            text=text_out,
            confidence=round(confidence, 2),
            cited=list(dict.fromkeys(cited)),
            suggestions=self.suggest(request.channel, "question", text),
        )

    def facts_answer(self, request: Request, text: str) -> str:
        facts = request.facts or {}
        renewals = facts.get("renewals")
        if renewals and re.search(r"renew|retention|retain|lapse", text, re.IGNORECASE):
            total = renewals.get("totalCases") or 0
            renewed = renewals.get("renewed") or 0
            rate = f"{100 * renewed / total:.0f}%" if total else "n/a"
            out = (
                f"In the last {renewals.get('days', 30)} days: {total} renewal cases, {renewed} renewed ({rate}), "
                f"{renewals.get('inProgress', 0)} in progress, {renewals.get('pendingAction', 0)} not yet worked, "
                f"{renewals.get('lapsed', 0)} lapsed."
            )
            if renewals.get("pendingAction"):
                out += f" Start with the {renewals['pendingAction']} cases nobody has contacted yet."
            return out
        return ""

    @staticmethod
    def suggest(channel: str, topic: str, text: str = "") -> list[str]:
        if channel == "customer":
            return ["What does my policy cover?", "When is my next payment?", "I want to report a claim"]
        if channel == "query":
            if re.search(r"renew", text, re.IGNORECASE):
                return [
                    "How to optimize the renewal process?",
                    "What communication strategies work best?",
                    "Which renewals are due this week?",
                ]
            return ["How can I improve renewal rates?", "What communication strategies work best?"]
        return {
            "findLeads": ["Mark lead <id> as contacted", "Schedule a call with lead <id> tomorrow at 10:00"],
            "createClientLead": ["Schedule a meeting with them tomorrow at 15:00", "Draft an email to them"],
        }.get(
            topic, ["Find lead <name>", "Which renewals are due this week?", "Search the knowledge hub for complaints"]
        )


def next_weekday_morning() -> str:
    day = timezone.localdate() + timedelta(days=1)
    return f"{day.isoformat()}T09:00"


def _when(value) -> str:
    """An ISO timestamp from a tool's result as people read it, in the brokerage's time zone."""
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return f"{moment:%a %d %b %Y at %H:%M}"
