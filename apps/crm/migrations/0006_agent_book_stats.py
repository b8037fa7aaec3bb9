"""The agents' book figures that live in other apps (premium written, policies in force, renewals due, commission
this month) as a materialized view, refreshed by the `crm.agent_book_stats_refresh` beat job: `GET /agents` reads
one indexed row per agent instead of aggregating thousands of policies and renewal cases per agent per request.
A view (not a model): a derived cache with no history of its own; the rows it is computed from are audited."""

from django.db import migrations

CREATE = """
CREATE MATERIALIZED VIEW crm_agent_book_stats AS
SELECT u.id AS agent_id,
       coalesce(p.premium_written, 0)::numeric(14, 2) AS premium_written,
       coalesce(p.policies_in_force, 0)::integer AS policies_in_force,
       coalesce(r.renewals_due, 0)::integer AS renewals_due,
       coalesce(c.commission, 0)::numeric(14, 2) AS commission_this_period,
       now() AS refreshed_at
FROM accounts_user u
LEFT JOIN (
    SELECT agent_id,
           sum(premium_amount) FILTER (
               WHERE start_date >= date_trunc('year', current_date)::date
                 AND start_date < (date_trunc('year', current_date) + interval '1 year')::date
                 AND status NOT IN ('quoted', 'cancelled')
           ) AS premium_written,
           count(*) FILTER (WHERE status = 'active') AS policies_in_force
    FROM policies_policy WHERE agent_id IS NOT NULL GROUP BY agent_id
) p ON p.agent_id = u.id
LEFT JOIN (
    SELECT assigned_to_id, count(*) AS renewals_due
    FROM renewals_renewalcase
    WHERE status IN ('new', 'in_progress') AND renewal_period <= current_date + 30 AND assigned_to_id IS NOT NULL
    GROUP BY assigned_to_id
) r ON r.assigned_to_id = u.id
LEFT JOIN (
    SELECT agent_id, sum(amount) AS commission
    FROM billing_commission WHERE created_at >= date_trunc('month', now())
    GROUP BY agent_id
) c ON c.agent_id = u.id
WHERE u.role IN ('agent', 'manager', 'admin');
CREATE UNIQUE INDEX crm_agent_book_stats_agent ON crm_agent_book_stats (agent_id);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0005_lead_import"),
        ("policies", "0004_add_policy_origin"),
        ("renewals", "0010_list_order_indexes"),
        ("billing", "0007_merge_audit_and_list_indexes"),
    ]

    operations = [migrations.RunSQL(CREATE, "DROP MATERIALIZED VIEW IF EXISTS crm_agent_book_stats")]
