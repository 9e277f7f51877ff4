"""Matchmaking: owners' properties and offers, municipalities' demands, proposed matches with
their append-only audit trail, saved searches and notifications.

New tables only; nothing existing changes.

* ``owner_property``: an owner's plot or building (geometry EPSG:28992: a point or polygons),
  saved privately (``saved``), then ``offered`` or ``withdrawn``. The contact columns
  (``contact_name``, ``contact_email``, ``contact_phone``) are personal data: they leave the
  database only through ``sitefinder.accounts.scope`` (the owner, and the gemeente, provincie
  and coordinators of the offer's place). Deleting the owner's account deletes the rows.
* ``demand``: what a gemeente asks for (profile, places, period, area in EPSG:28992: its
  territory, a radius around a point, or a drawn polygon; must-haves such as the maximum
  distance to care).
* ``match``: a proposal of an offer or a candidate site for a demand, by a coordinator, with its
  status ``voorgesteld -> in_gesprek -> akkoord / afgewezen`` and note. ``match_audit`` is
  written only by the trigger on ``match`` and is append-only (the mechanism of the flags:
  ``SET LOCAL sitefinder.actor``, ``sf_refuse_change``). An owner's own changes are recorded
  with the actor ``eigenaar`` and their id, never their e-mail, so deleting the account leaves
  no personal data in the trail.
* ``saved_search``, ``alert_seen``, ``notification``: a user's saved search (its criteria as
  JSON, an Atom feed behind a secret token of which only the SHA-256 is stored), what it has
  already reported, and the inbox.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

PROPERTY_STATUSES = ("saved", "offered", "withdrawn")
MATCH_STATUSES = ("voorgesteld", "in_gesprek", "akkoord", "afgewezen")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    op.execute(
        f"""
        CREATE TABLE owner_property (
            id bigserial PRIMARY KEY,
            owner_id bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
            name text NOT NULL DEFAULT '',
            geom geometry(Geometry, 28992) NOT NULL,
            area_m2 double precision,
            places integer CHECK (places >= 0),
            floor_area_m2 double precision CHECK (floor_area_m2 >= 0),
            available_from date,
            available_to date,
            conditions text NOT NULL DEFAULT '',
            consent_contact boolean NOT NULL DEFAULT false,
            contact_name text NOT NULL DEFAULT '',
            contact_email text NOT NULL DEFAULT '',
            contact_phone text NOT NULL DEFAULT '',
            status text NOT NULL DEFAULT 'saved' CHECK (status IN {_in(PROPERTY_STATUSES)}),
            gemeentecode text,
            provinciecode text,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            offered_at timestamptz,
            CHECK (available_to IS NULL OR available_from IS NULL
                   OR available_to >= available_from),
            CHECK (GeometryType(geom) IN ('POINT', 'POLYGON', 'MULTIPOLYGON'))
        );
        CREATE INDEX owner_property_owner_idx ON owner_property (owner_id);
        CREATE INDEX owner_property_place_idx ON owner_property (status, provinciecode);
        CREATE INDEX owner_property_geom_idx ON owner_property USING gist (geom);
        COMMENT ON TABLE owner_property IS 'Owners'' properties and offers; the contact columns'
            ' are personal data, read only through sitefinder.accounts.scope.'
        """
    )
    op.execute(
        """
        CREATE TABLE demand (
            id bigserial PRIMARY KEY,
            created_by bigint REFERENCES app_user (id) ON DELETE SET NULL,
            gemeentecode text NOT NULL CHECK (gemeentecode ~ '^GM[0-9]{4}$'),
            provinciecode text,
            title text NOT NULL DEFAULT '',
            profile text NOT NULL,
            places integer NOT NULL CHECK (places >= 1),
            period_from date NOT NULL,
            period_to date,
            area_kind text NOT NULL CHECK (area_kind IN ('territory', 'radius', 'polygon')),
            radius_m double precision,
            area geometry(MultiPolygon, 28992) NOT NULL,
            max_care_m double precision CHECK (max_care_m > 0),
            min_score double precision CHECK (min_score BETWEEN 0 AND 1),
            status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
            created_at timestamptz NOT NULL DEFAULT now(),
            CHECK (period_to IS NULL OR period_to >= period_from)
        );
        CREATE INDEX demand_place_idx ON demand (gemeentecode, provinciecode)
        """
    )
    op.execute(
        f"""
        CREATE TABLE match (
            id bigserial PRIMARY KEY,
            demand_id bigint NOT NULL REFERENCES demand (id) ON DELETE CASCADE,
            property_id bigint REFERENCES owner_property (id) ON DELETE CASCADE,
            site_id text,
            gemeentecode text NOT NULL,
            provinciecode text,
            status text NOT NULL DEFAULT 'voorgesteld' CHECK (status IN {_in(MATCH_STATUSES)}),
            note text NOT NULL DEFAULT '',
            proposed_by bigint,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CHECK ((property_id IS NULL) <> (site_id IS NULL)),
            UNIQUE (demand_id, property_id),
            UNIQUE (demand_id, site_id)
        );
        CREATE INDEX match_property_idx ON match (property_id);
        CREATE TABLE match_audit (
            id bigserial PRIMARY KEY,
            at timestamptz NOT NULL DEFAULT now(),
            match_id bigint NOT NULL,
            demand_id bigint NOT NULL,
            property_id bigint,
            site_id text,
            gemeentecode text NOT NULL,
            provinciecode text,
            actor_id bigint,
            actor text NOT NULL,
            from_status text,
            to_status text NOT NULL,
            note text NOT NULL
        );
        CREATE INDEX match_audit_match_idx ON match_audit (match_id, id);

        CREATE FUNCTION sf_match_audit() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            actor text := nullif(current_setting('sitefinder.actor', true), '');
        BEGIN
            IF actor IS NULL THEN
                RAISE EXCEPTION 'a match change must name its actor (SET LOCAL sitefinder.actor)';
            END IF;
            IF TG_OP = 'UPDATE' AND (OLD.status, OLD.note)
                    IS NOT DISTINCT FROM (NEW.status, NEW.note) THEN
                RETURN NEW;
            END IF;
            INSERT INTO match_audit (match_id, demand_id, property_id, site_id, gemeentecode,
                                     provinciecode, actor_id, actor, from_status, to_status,
                                     note)
            VALUES (NEW.id, NEW.demand_id, NEW.property_id, NEW.site_id, NEW.gemeentecode,
                    NEW.provinciecode,
                    nullif(current_setting('sitefinder.actor_id', true), '')::bigint, actor,
                    CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END, NEW.status, NEW.note);
            RETURN NEW;
        END $$;
        CREATE TRIGGER match_audit_trigger AFTER INSERT OR UPDATE ON match
            FOR EACH ROW EXECUTE FUNCTION sf_match_audit();
        CREATE TRIGGER match_audit_append_only BEFORE UPDATE OR DELETE ON match_audit
            FOR EACH ROW EXECUTE FUNCTION sf_refuse_change('the audit trail is append-only');
        CREATE TRIGGER match_audit_no_truncate BEFORE TRUNCATE ON match_audit
            FOR EACH STATEMENT EXECUTE FUNCTION sf_refuse_change('the audit trail is append-only');
        REVOKE UPDATE, DELETE, TRUNCATE ON match_audit FROM PUBLIC
        """
    )
    op.execute(
        """
        CREATE TABLE saved_search (
            id bigserial PRIMARY KEY,
            user_id bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
            name text NOT NULL DEFAULT '',
            criteria jsonb NOT NULL,
            area geometry(MultiPolygon, 28992),
            email boolean NOT NULL DEFAULT true,
            feed_token_hash bytea NOT NULL UNIQUE,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX saved_search_user_idx ON saved_search (user_id);
        CREATE TABLE alert_seen (
            search_id bigint NOT NULL REFERENCES saved_search (id) ON DELETE CASCADE,
            item text NOT NULL,
            seen_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (search_id, item)
        );
        CREATE TABLE notification (
            id bigserial PRIMARY KEY,
            user_id bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
            search_id bigint REFERENCES saved_search (id) ON DELETE CASCADE,
            match_id bigint REFERENCES match (id) ON DELETE CASCADE,
            kind text NOT NULL CHECK (kind IN ('new_match', 'proposal', 'match_status')),
            item text NOT NULL DEFAULT '',
            title text NOT NULL,
            body text NOT NULL DEFAULT '',
            created_at timestamptz NOT NULL DEFAULT now(),
            read_at timestamptz,
            emailed_at timestamptz
        );
        CREATE INDEX notification_user_idx ON notification (user_id, id)
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE notification;
        DROP TABLE alert_seen;
        DROP TABLE saved_search;
        DROP TABLE match_audit;
        DROP TABLE match;
        DROP FUNCTION sf_match_audit();
        DROP TABLE demand;
        DROP TABLE owner_property
        """
    )
