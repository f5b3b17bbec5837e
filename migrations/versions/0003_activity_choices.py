"""activity choices and billing-company indexes

The dashboard's filter choices (staff members, actions, entity types) move from three GROUP BYs
over every event on every page to the small ``activity_choices`` table the sync keeps; this
revision creates it and fills it from the events already stored.  Two partial indexes on
``tenant_audit_events`` (billing-company rows only) serve the dashboard's default "Our billing
company" and the tenant-admin review.

Revision ID: 0003_activity_choices
Revises: 0002_seat_checks
Create Date: 2026-11-24 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0003_activity_choices"
down_revision = "0002_seat_checks"
branch_labels = None
depends_on = None

THIRD_PARTY = "billing_company_id IS NOT NULL"
#: kind -> (value column, label expression) of the backfill; the same grouping as hub.sync.choices
_SOURCES = {
    "staff": ("on_behalf_of_user_id", "MAX(on_behalf_of_name)"),
    "action": ("action", "CAST(NULL AS VARCHAR(200))"),
    "entity_type": ("entity_type", "CAST(NULL AS VARCHAR(200))"),
}


def _backfill() -> None:
    """One INSERT ... SELECT per kind over the stored events (plain SQL: no app code in revisions)."""
    for kind, (column, label) in _SOURCES.items():
        # column names and expressions come from _SOURCES above, never from data
        sql = f"""INSERT INTO activity_choices (hub_id, tenant_id, kind, billing_company_id, value, label)
            SELECT MIN(hub_id), tenant_id, :kind, COALESCE(billing_company_id, ''), {column}, {label}
            FROM tenant_audit_events WHERE {column} IS NOT NULL
            GROUP BY tenant_id, COALESCE(billing_company_id, ''), {column}"""  # noqa: S608
        op.execute(sa.text(sql).bindparams(kind=kind))


def upgrade():
    op.create_table(
        "activity_choices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hub_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("billing_company_id", sa.String(length=100), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["hub_id"], ["hubs.id"], name=op.f("fk_activity_choices_hub_id_hubs")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_activity_choices_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_choices")),
        sa.UniqueConstraint(
            "tenant_id", "kind", "billing_company_id", "value",
            name=op.f("uq_activity_choices_tenant_id_kind_billing_company_id_value"),
        ),
    )
    with op.batch_alter_table("activity_choices", schema=None) as batch_op:
        batch_op.create_index("ix_activity_choices_hub_kind", ["hub_id", "kind", "value"], unique=False)

    with op.batch_alter_table("tenant_audit_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tae_hub_company_time", ["hub_id", "occurred_at", "id"], unique=False,
            postgresql_where=sa.text(THIRD_PARTY), sqlite_where=sa.text(THIRD_PARTY),
        )
        batch_op.create_index(
            "ix_tae_tenant_company_time", ["tenant_id", "occurred_at", "id"], unique=False,
            postgresql_where=sa.text(THIRD_PARTY), sqlite_where=sa.text(THIRD_PARTY),
        )

    _backfill()


def downgrade():
    with op.batch_alter_table("tenant_audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_tae_tenant_company_time")
        batch_op.drop_index("ix_tae_hub_company_time")

    with op.batch_alter_table("activity_choices", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_choices_hub_kind")

    op.drop_table("activity_choices")
