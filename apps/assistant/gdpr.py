"""The assistant's part of a customer's GDPR export and erasure (hooks `gdpr.export`, `gdpr.erase`): the chats the
customer had with it through their portal account, the actions it proposed to them and their decisions, the
tool-call trail of those chats, and the answers the guardrails replaced.

The export never holds a rescinded answer's original text — it was withheld because it named other people or
promised what the policy does not say — only that an answer was replaced, by what and when. Erasure empties the
chats' turns and page context, the actions' arguments and results (and their history snapshots) and the trail's
arguments and results, keeping that a chat took place, which tools ran, what came of them and when (the audit
record stays whole in shape)."""

from apps.core.erasure import ERASED, history_of, scrub, scrub_text
from apps.customers.models import Customer

from .models import Conversation, ProposedAction, RescindedResponse, ToolCallRecord


def export_customer_data(customer: Customer, archive, *, for_customer: bool) -> dict:
    if customer.user_id is None:
        return {"assistant_conversations": [], "assistant_tool_calls": [], "assistant_rescinded_answers": []}
    user_id = customer.user_id
    conversations = Conversation.objects.filter(user_id=user_id).prefetch_related("actions").order_by("created_at")
    return {
        "assistant_conversations": [
            {
                "id": c.pk,
                "channel": c.channel,
                "started_at": c.created_at,
                "messages": [{"role": m.get("role"), "text": m.get("text"), "at": m.get("at")} for m in c.messages],
                "actions": [
                    {
                        "tool": a.tool,
                        "summary": a.summary,
                        "arguments": a.arguments,
                        "status": a.status,
                        "decided_at": a.decided_at,
                    }
                    for a in sorted(c.actions.all(), key=lambda a: a.pk)
                ],
            }
            for c in conversations
        ],
        "assistant_tool_calls": list(
            ToolCallRecord.objects.filter(user_id=user_id)
            .order_by("created_at", "id")
            .values("tool", "channel", "arguments", "result", "outcome", "created_at")
        ),
        "assistant_rescinded_answers": list(
            RescindedResponse.objects.filter(user_id=user_id)
            .order_by("created_at", "id")
            .values("channel", "rule", "replacement", "created_at")
        ),
    }


def erase_customer_data(customer: Customer) -> None:
    if customer.user_id is None:
        return
    user_id = customer.user_id
    conversations = Conversation.objects.filter(user_id=user_id)
    scrub(conversations, messages=[], context={})
    scrub(history_of(Conversation, conversations.values("pk")), context={})
    actions = ProposedAction.objects.filter(user_id=user_id)
    scrub(actions, arguments={}, result={}, summary=ERASED)
    scrub(history_of(ProposedAction, actions.values("pk")), arguments={}, result={}, summary=ERASED)
    scrub(ToolCallRecord.objects.filter(user_id=user_id), arguments={}, result={})
    scrub_text(RescindedResponse.objects.filter(user_id=user_id), "original", "replacement", "reason")
