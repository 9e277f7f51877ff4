"""Matchmaking, continued (issue 11): combinations of offers and the e-mail outbox.

* ``match.combination_id``: the offers proposed together for one demand, because no single
  offer has enough places, share it (the id of the combination's first match; a plain key,
  not a reference, so the other members keep it when that match is gone). Each member is a
  match of its own, moving through the statuses with its own owner, and the audit trail.
* ``alert_email``: the outbox of alert e-mails. ``alerts.run`` writes one row per saved search
  with new matches, in the transaction that raises their notifications; ``alerts.deliver``
  sends it after the request (or from ``sitefinder alerts``), records each attempt, the last
  error and when to try again, so a slow or unreachable SMTP server never holds or fails the
  change that raised it. The address is the account's at sending time (joined, not copied:
  deleting the account deletes its rows). Private and written by the API's writer role
  (``db.PRIVATE_TABLES``, ``db.WRITTEN_TABLES``).

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE match ADD COLUMN combination_id bigint;
        CREATE INDEX match_combination_idx ON match (combination_id)
            WHERE combination_id IS NOT NULL;
        CREATE TABLE alert_email (
            id bigserial PRIMARY KEY,
            user_id bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
            search_id bigint NOT NULL REFERENCES saved_search (id) ON DELETE CASCADE,
            items text[] NOT NULL,
            subject text NOT NULL,
            body text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            attempts integer NOT NULL DEFAULT 0,
            next_attempt_at timestamptz DEFAULT now(),
            sent_at timestamptz,
            last_error text
        );
        CREATE INDEX alert_email_due_idx ON alert_email (next_attempt_at)
            WHERE sent_at IS NULL
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE alert_email;
        DROP INDEX match_combination_idx;
        ALTER TABLE match DROP COLUMN combination_id
        """
    )
