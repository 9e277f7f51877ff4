"""Accounts, roles, sessions, login attempts, province flags and their append-only audit trail.

New tables only; nothing existing changes, so a database with data upgrades without loss.

* ``app_user`` (e-mail unique case-insensitively, an Argon2 hash or NULL for SSO-only accounts),
  ``user_role`` (role + scope: gemeente ``GM0228``, provincie ``PV25``, coordinator ``NL`` or a
  provinciecode; eigenaar and beheerder have the empty scope), ``user_session`` (only the
  SHA-256 of the cookie token is stored), ``login_attempt`` (the rate limits) and
  ``oidc_login`` (single-use state of a single sign-on in progress).
* ``site_flag``: one current flag per site, owned by the province the site lies in. No foreign
  key to ``site``: an ETL run replaces the site rows in one swap, and the ids are stable.
* ``flag_audit``: written only by the trigger on ``site_flag`` (who, when, from, to, note), so
  no change escapes it; a change without an actor (``SET LOCAL sitefinder.actor_id``) is
  refused. UPDATE, DELETE and TRUNCATE on it are refused by triggers, which bind every role
  including the table's owner; a flag cannot be deleted either (reset its status instead).

Revision ID: 0009
Revises: 0006
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ROLES = ("eigenaar", "gemeente", "provincie", "coordinator", "beheerder")
STATUSES = (
    "niet_beoordeeld",
    "kansrijk",
    "in_onderzoek",
    "geschikt",
    "ongeschikt",
    "in_transformatie",
    "omgezet",
)


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE app_user (
            id bigserial PRIMARY KEY,
            email text NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
            name text NOT NULL DEFAULT '',
            password_hash text,
            disabled boolean NOT NULL DEFAULT false,
            oidc_issuer text,
            oidc_subject text,
            created_at timestamptz NOT NULL DEFAULT now(),
            password_changed_at timestamptz,
            last_login_at timestamptz,
            UNIQUE (email),
            UNIQUE (oidc_issuer, oidc_subject)
        )
        """
    )
    op.execute(
        f"""
        CREATE TABLE user_role (
            user_id bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
            role text NOT NULL CHECK (role IN {_in(ROLES)}),
            scope text NOT NULL DEFAULT '',
            granted_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (user_id, role, scope),
            CHECK (
                (role IN ('eigenaar', 'beheerder') AND scope = '')
                OR (role = 'gemeente' AND scope ~ '^GM[0-9]{{4}}$')
                OR (role = 'provincie' AND scope ~ '^PV[0-9]{{2}}$')
                OR (role = 'coordinator' AND (scope = 'NL' OR scope ~ '^PV[0-9]{{2}}$'))
            )
        )
        """
    )
    op.execute(
        """
        CREATE TABLE user_session (
            token_hash bytea PRIMARY KEY,
            user_id bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
            csrf_token text NOT NULL,
            method text NOT NULL CHECK (method IN ('password', 'oidc')),
            created_at timestamptz NOT NULL DEFAULT now(),
            last_seen_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            address text,
            user_agent text
        );
        CREATE INDEX user_session_user_idx ON user_session (user_id);
        CREATE TABLE login_attempt (
            id bigserial PRIMARY KEY,
            at timestamptz NOT NULL DEFAULT now(),
            account text NOT NULL,
            address text NOT NULL,
            success boolean NOT NULL
        );
        CREATE INDEX login_attempt_account_idx ON login_attempt (account, at);
        CREATE INDEX login_attempt_address_idx ON login_attempt (address, at);
        CREATE TABLE oidc_login (
            state_hash bytea PRIMARY KEY,
            browser_hash bytea NOT NULL,
            nonce text NOT NULL,
            code_verifier text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        f"""
        CREATE TABLE site_flag (
            site_id text PRIMARY KEY,
            provinciecode text CHECK (provinciecode ~ '^PV[0-9]{{2}}$'),
            gemeentecode text,
            status text NOT NULL CHECK (status IN {_in(STATUSES)}),
            note text NOT NULL DEFAULT '',
            tags text[] NOT NULL DEFAULT '{{}}',
            confidential boolean NOT NULL DEFAULT false,
            updated_at timestamptz NOT NULL DEFAULT now(),
            updated_by bigint
        );
        CREATE INDEX site_flag_province_idx ON site_flag (provinciecode, status);
        CREATE TABLE flag_audit (
            id bigserial PRIMARY KEY,
            at timestamptz NOT NULL DEFAULT now(),
            site_id text NOT NULL,
            provinciecode text,
            gemeentecode text,
            actor_id bigint,
            actor text NOT NULL,
            via text NOT NULL DEFAULT 'site',
            from_status text,
            to_status text NOT NULL,
            from_confidential boolean,
            to_confidential boolean NOT NULL,
            from_tags text[],
            to_tags text[] NOT NULL,
            from_note text,
            note text NOT NULL,
            confidential boolean GENERATED ALWAYS AS
                (coalesce(from_confidential, false) OR to_confidential) STORED
        );
        CREATE INDEX flag_audit_site_idx ON flag_audit (site_id, id);
        CREATE INDEX flag_audit_province_idx ON flag_audit (provinciecode, id)
        """
    )
    op.execute(
        """
        CREATE FUNCTION sf_flag_audit() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            actor text := nullif(current_setting('sitefinder.actor', true), '');
        BEGIN
            IF actor IS NULL THEN
                RAISE EXCEPTION 'a flag change must name its actor (SET LOCAL sitefinder.actor)';
            END IF;
            IF TG_OP = 'UPDATE' AND (OLD.status, OLD.note, OLD.tags, OLD.confidential)
                    IS NOT DISTINCT FROM (NEW.status, NEW.note, NEW.tags, NEW.confidential) THEN
                RETURN NEW;
            END IF;
            INSERT INTO flag_audit (site_id, provinciecode, gemeentecode, actor_id, actor, via,
                                    from_status, to_status, from_confidential, to_confidential,
                                    from_tags, to_tags, from_note, note)
            VALUES (NEW.site_id, NEW.provinciecode, NEW.gemeentecode,
                    nullif(current_setting('sitefinder.actor_id', true), '')::bigint, actor,
                    coalesce(nullif(current_setting('sitefinder.via', true), ''), 'site'),
                    CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END, NEW.status,
                    CASE WHEN TG_OP = 'UPDATE' THEN OLD.confidential END, NEW.confidential,
                    CASE WHEN TG_OP = 'UPDATE' THEN OLD.tags END, NEW.tags,
                    CASE WHEN TG_OP = 'UPDATE' THEN OLD.note END, NEW.note);
            RETURN NEW;
        END $$;
        CREATE TRIGGER site_flag_audit AFTER INSERT OR UPDATE ON site_flag
            FOR EACH ROW EXECUTE FUNCTION sf_flag_audit();

        CREATE FUNCTION sf_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% on % is not allowed: %', TG_OP, TG_TABLE_NAME, TG_ARGV[0]
                USING ERRCODE = 'insufficient_privilege';
        END $$;
        CREATE TRIGGER flag_audit_append_only BEFORE UPDATE OR DELETE ON flag_audit
            FOR EACH ROW EXECUTE FUNCTION sf_refuse_change('the audit trail is append-only');
        CREATE TRIGGER flag_audit_no_truncate BEFORE TRUNCATE ON flag_audit
            FOR EACH STATEMENT EXECUTE FUNCTION sf_refuse_change('the audit trail is append-only');
        CREATE TRIGGER site_flag_no_delete BEFORE DELETE ON site_flag
            FOR EACH ROW EXECUTE FUNCTION sf_refuse_change('reset the status instead');
        CREATE TRIGGER site_flag_no_truncate BEFORE TRUNCATE ON site_flag
            FOR EACH STATEMENT EXECUTE FUNCTION sf_refuse_change('reset the status instead');
        REVOKE UPDATE, DELETE, TRUNCATE ON flag_audit FROM PUBLIC;
        COMMENT ON TABLE flag_audit IS 'Append-only audit trail of site_flag, written by its'
            ' trigger; read only through sitefinder.accounts.scope (the scope filter).';
        COMMENT ON TABLE site_flag IS 'One flag per site (status workflow, note, tags,'
            ' confidential); read only through sitefinder.accounts.scope (the scope filter).'
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE flag_audit;
        DROP TABLE site_flag;
        DROP FUNCTION sf_flag_audit();
        DROP FUNCTION sf_refuse_change();
        DROP TABLE oidc_login;
        DROP TABLE login_attempt;
        DROP TABLE user_session;
        DROP TABLE user_role;
        DROP TABLE app_user
        """
    )
