"""The ``sitefinder`` command: database set-up, ETL, scoring, serving and the one-shot demo.

Start-up time matters (``sitefinder --help`` in well under 0.3 s): this module imports only
click and our light error types at the top; every heavy library (numpy, pandas, shapely,
psycopg, pydantic, the ETL, the scoring engine, uvicorn) is imported inside the command that
needs it. ``python -X importtime -m sitefinder.cli --help`` shows what a start costs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sitefinder.core.errors import InvalidParameterError, SitefinderError

if TYPE_CHECKING:  # types only: imported for real inside the commands
    import psycopg

    from etl.declarations import RunResult
    from sitefinder.accounts.roles import Grant
    from sitefinder.scoring import ScoreSummary


def _echo_result(result: RunResult) -> None:
    if result.status == "unchanged":
        click.echo(f"  {result.layer:<14} ongewijzigd (input unchanged), skipped")
        return
    if result.status == "skipped":
        click.echo(f"  {result.layer:<14} overgeslagen / skipped: {result.message}")
        return
    reasons = "; ".join(f"{n}× {why}" for why, n in sorted(result.reasons.items()))
    area = (
        f"; gebied / area {result.area}, {result.n_outside_area} erbuiten / outside"
        if result.area
        else ""
    )
    click.echo(
        f"  {result.layer:<14} {result.n_loaded:>6} geladen / loaded, "
        f"{result.n_quarantined:>4} in quarantaine"
        + (f" ({reasons})" if reasons else "")
        + area
        + f"  [{result.seconds:.1f} s]"
    )
    if result.message and not result.area:
        click.echo(f"  {'':<14} let op / note: {result.message}")


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SitefinderError as exc:
            click.secho(f"fout / error: {exc}", fg="red", err=True)
            sys.exit(2)


@click.group(cls=_Group)
def main() -> None:
    """Woonplek Sitefinder: sites where aandachtsgroepen can live, scored on Dutch open data."""


@main.group("db")
def db_group() -> None:
    """Database set-up."""


@db_group.command("init")
def db_init() -> None:
    """Create the database (with PostGIS) when missing, migrate it to the newest schema and set
    up the roles the API connects as: one that reads, one that writes accounts and flags."""
    from sitefinder.core import db
    from sitefinder.core.settings import get_settings

    settings = get_settings()
    created = db.ensure_database(settings)
    db.migrate(settings)
    role = db.setup_api_role(settings)
    click.echo(
        f"database {'created' if created else 'up to date'}: {db.redact(settings.database_url)}"
        f"; the API reads as role {role} (SELECT only) and writes accounts and flags as"
        f" {db.redact(db.writer_url(settings))}"
    )


@main.group("etl")
def etl_group() -> None:
    """Load layers from files or the online services into PostGIS."""


@etl_group.command("run")
@click.argument("layer")
@click.option(
    "--from",
    "sources",
    metavar="PATH|URL",
    multiple=True,
    help="input file, or an http(s) URL: an OGC API Features collection (…/collections/NAME)"
    " or landing page, or a file to download (default: the bundled demo files). Repeat for"
    " several files of one layer (e.g. the BAG extract and a vacancy register).",
)
@click.option(
    "--online",
    is_flag=True,
    help="download from the official service the layer declares (PDOK), cached per day",
)
@click.option("--gemeente", metavar="GM0363", help="only this municipality (code or name)")
@click.option("--provincie", metavar="PV27", help="only this province (PV20-PV31, or name)")
@click.option(
    "--bbox",
    metavar="MINX,MINY,MAXX,MAXY",
    help="only this box: RD New metres (EPSG:28992), or degrees lon/lat (WGS84)",
)
@click.option("--force", is_flag=True, help="load even when the input is unchanged")
@click.option("--refresh", is_flag=True, help="download again even when cached today")
@click.option(
    "--replace",
    is_flag=True,
    help="a layer of partitions (zoning: plans): replace all of them, not only those loaded",
)
@click.option(
    "--accept-loss",
    is_flag=True,
    help="load even when most records would be quarantined or the layer would shrink to"
    " less than half (the loss guard refuses such a load otherwise)",
)
@click.option("--no-score", is_flag=True, help="do not bring the scores up to date afterwards")
def etl_run(
    layer: str,
    sources: tuple[str, ...],
    online: bool,
    gemeente: str | None,
    provincie: str | None,
    bbox: str | None,
    force: bool,
    refresh: bool,
    replace: bool,
    accept_loss: bool,
    no_score: bool,
) -> None:
    """Run the pipeline of LAYER ('all' for every layer, in dependency order).

    \b
    Input: the bundled demo files; --from a file or URL; --online the layer's
    official service (layers without one: only --from). Downloads are retried,
    resumed, and cached per URL and day in SITEFINDER_CACHE_DIR.

    \b
    Area (give at most one of --gemeente, --provincie, --bbox): only features
    that intersect the area are loaded, and they REPLACE the layer's whole
    content: the layer then holds just that area, and its coverage is cut to
    it. Online, only the area's bounding box is requested. --gemeente and
    --provincie need the gemeenten / provincies layer loaded. With 'all',
    the boundary layers themselves are loaded whole.

    \b
    Layers of partitions (zoning: one per plan): a load adds the plans it
    reads and replaces their earlier versions, keeping every other plan;
    with an area, a plan that touches it is loaded whole. --replace
    replaces all plans by the ones read.

    \b
    A load that would quarantine (nearly) every record, or shrink the layer to
    less than half, is refused and changes nothing, unless --accept-loss.
    Afterwards the scores are brought up to date (what changed; --no-score
    leaves that to `sitefinder score`).
    """
    from etl.areas import AreaSpec, parse_bbox
    from sitefinder.core import db
    from sitefinder.core.settings import get_settings
    from sitefinder.pipeline import load_layers

    try:
        area = AreaSpec.from_options(gemeente=gemeente, provincie=provincie, bbox=bbox)
        if area is not None and area.kind == "bbox":
            parse_bbox(area.value)  # a bad box is a usage error, before anything runs
    except InvalidParameterError as exc:
        raise click.UsageError(str(exc)) from None
    layers = None if layer == "all" else [layer]
    source: str | list[str] | None = None
    if len(sources) == 1:
        source = sources[0]
    elif sources:
        if any("://" in s for s in sources):
            raise click.UsageError("several --from inputs must all be files, not URLs")
        source = list(sources)
    if source is not None and layers is None:
        raise click.UsageError("--from needs a single LAYER, not 'all'")
    if source is not None and online:
        raise click.UsageError("give --from or --online, not both")
    settings = get_settings()
    db.init_database(settings)
    load_layers(
        settings,
        layers,
        source=source,
        online=online,
        area=area,
        force=force,
        refresh=refresh,
        replace=replace,
        accept_loss=accept_loss,
        score=not no_score,
        on_result=_echo_result,
        on_note=click.echo,
        on_score=_echo_score,
    )
    if not no_score:
        _run_alerts(settings)


def _run_alerts(settings: Any) -> int:
    """The saved searches' alerts over the current sites and layers (after an ETL run)."""
    from sitefinder.accounts import alerts
    from sitefinder.core import db
    from sitefinder.scoring.compute import load_layers as load_criterion_layers
    from sitefinder.scoring.engine import SiteTable

    with db.connection(settings) as conn:
        if conn.execute("SELECT count(*) AS n FROM saved_search").fetchone() == {"n": 0}:
            return 0
        table = SiteTable.load(conn, version=0)
        raised = alerts.run(conn, settings, table, load_criterion_layers(conn))
        sent, failed = alerts.deliver(conn, settings)
    click.echo(f"alerts: {raised} new match(es) notified")
    if sent or failed:
        click.echo(f"alerts: {sent} e-mail(s) sent, {failed} to retry")
    return raised


@main.command("alerts")
def alerts_command() -> None:
    """Notify the saved searches of their new matches (inbox, e-mail, feed) and send the due
    e-mails of the outbox (retrying those that failed); run by `etl run`."""
    from sitefinder.core.settings import get_settings

    settings = get_settings()
    if _run_alerts(settings) == 0:
        click.echo("alerts: nothing new")


@etl_group.command("status")
def etl_status() -> None:
    """Each layer with its source, licence, retrieved at and counts loaded and quarantined."""
    from etl.runs import loaded_layers
    from sitefinder.core import db

    with db.connection() as conn:
        loaded = loaded_layers(conn)
    from layers import catalogue

    click.echo(f"{'layer':<14} {'loaded':>7} {'quar.':>6}  {'retrieved at':<21} source / licence")
    for name in catalogue():
        info = loaded.get(name)
        if info is None:
            click.echo(f"{name:<14} {'-':>7} {'-':>6}  {'(not loaded)':<21}")
            continue
        click.echo(
            f"{name:<14} {info['count']:>7} {info['n_quarantined']:>6}  {info['retrieved_at']:<21} "
            f"{info['publisher']} ({info['data_as_of']}) / {info['licence']}"
        )


@main.command("score")
@click.option("--profile", default=None, help="profile for the summary (default: settings)")
@click.option("--full", is_flag=True, help="recompute every criterion, not only what changed")
@click.option(
    "--dask",
    metavar="local|tcp://HOST:8786",
    default=None,
    help="recompute every criterion partitioned by gemeente on a Dask cluster: a local one"
    " ('local', --workers processes) or the scheduler at this address (docs/scaling.md)",
)
@click.option("--workers", default=2, type=click.IntRange(1, 64), help="workers of --dask local")
def score(profile: str | None, full: bool, dask: str | None, workers: int) -> None:
    """Bring the criteria of every site up to date after an ETL run (only what changed)."""
    from sitefinder.core import db
    from sitefinder.core.settings import get_settings
    from sitefinder.scoring import score_all
    from sitefinder.scoring.snapshot import database_dir

    settings = get_settings()
    with db.connection(settings) as conn:
        summary = score_all(
            conn,
            profile or settings.default_profile,
            full=full,
            snapshot_dir=database_dir(settings),
            dask=dask,
            workers=workers,
        )
    _echo_score(summary)


def _echo_score(summary: ScoreSummary) -> None:
    missing = ", ".join(f"{k} {v}" for k, v in summary.missing.items() if v)
    if not summary.groups:
        click.echo("  criteria up to date: no layer changed since the last scoring")
    else:
        seconds = sum(summary.seconds.values())
        click.echo(f"  recomputed {', '.join(summary.groups)} in {seconds:.1f} s")
    click.echo(
        f"  {summary.sites} sites: {summary.scored} scored, {summary.excluded} excluded, "
        f"{summary.no_data} without data; outside coverage per layer: {missing or 'none'}"
    )


SHUTDOWN_GRACE_S = 5  # after SIGTERM/SIGINT: requests in flight get this long to finish
# An idle keep-alive connection is closed after this long: longer than clients keep theirs
# (httpx and browsers: 5 s and more), so that no client reuses one the server just closed.
KEEP_ALIVE_S = 30


@main.command("serve")
@click.option("--host", default=None)
@click.option("--port", default=None, type=int)
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(1, 16),
    help="worker processes (default SITEFINDER_API_WORKERS, 1; see docs/operations.md)",
)
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the API and the map (uvicorn; SIGTERM stops it within a few seconds)."""
    import uvicorn

    from sitefinder.core.settings import get_settings

    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    click.echo(f"Kaart / map: http://{host}:{port}/   API docs: http://{host}:{port}/docs")
    # an import string, so that several worker processes can each build their own app
    uvicorn.run(
        "sitefinder.api:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers or settings.api_workers,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
        timeout_keep_alive=KEEP_ALIVE_S,
        log_level="warning",
    )


@main.command("demo")
@click.option("--no-serve", is_flag=True, help="load and score, then stop")
@click.option("--force", is_flag=True, help="reload every layer even when unchanged")
def demo(no_serve: bool, force: bool) -> None:
    """Set up the database, load the demo region, score every site and serve the map."""
    from sitefinder.core import db
    from sitefinder.core.settings import get_settings
    from sitefinder.pipeline import load_layers
    from sitefinder.scoring import score_all
    from sitefinder.scoring.snapshot import database_dir

    settings = get_settings()
    started = time.monotonic()
    click.echo(f"1/3 database {db.redact(settings.database_url)}")
    db.init_database(settings)
    click.echo(f"2/3 loading the demo region from {settings.data_dir}")
    load_layers(settings, force=force, on_result=_echo_result)
    click.echo("3/3 scoring")
    with db.connection(settings) as conn:
        _echo_score(score_all(conn, settings.default_profile, snapshot_dir=database_dir(settings)))
        _echo_demo_accounts(conn)
    click.echo(f"ready in {time.monotonic() - started:.1f} s")
    if not no_serve:
        serve.callback(None, None, None)  # type: ignore[misc]


# --- accounts: `sitefinder user ...` (sitefinder/accounts) ------------------------------------


def _echo_demo_accounts(conn: psycopg.Connection[Any]) -> None:
    """One demo account per role; a new one's password is shown here, once."""
    from sitefinder.accounts.demo import create_demo_accounts

    click.echo("demo-accounts / demo accounts (log in at the map, top right):")
    for email, roles, password in create_demo_accounts(conn):
        shown = password or "(bestond al / exists: sitefinder user reset EMAIL)"
        click.echo(f"  {email:<32} {roles:<16} {shown}")
    click.echo("  wachtwoorden worden maar één keer getoond / passwords are shown only once")


def _new_password(email: str, from_stdin: bool) -> tuple[str, bool]:
    """The password to set: read from stdin (checked for strength) or generated (shown once)."""
    from sitefinder.accounts import passwords
    from sitefinder.core.settings import get_settings

    settings = get_settings()
    if from_stdin:
        given = sys.stdin.readline().rstrip("\r\n")
        passwords.check_strength(given, email=email, min_length=settings.password_min_length)
        return given, False
    while True:
        made = passwords.generate_password()
        try:
            passwords.check_strength(made, email=email, min_length=settings.password_min_length)
        except SitefinderError:
            continue
        return made, True


def _show_password(email: str, password: str) -> None:
    click.echo(f"  wachtwoord / password for {email}: {password}")
    click.echo("  (shown once, stored only as an Argon2 hash: pass it on safely)")


def _grants(role: str | None, scopes: tuple[str, ...]) -> list[Grant]:
    from sitefinder.accounts.roles import parse_grant

    if role is None:
        if scopes:
            raise click.UsageError("--scope needs --role")
        return []
    try:
        return [parse_grant(role, scope) for scope in (scopes or ("",))]
    except InvalidParameterError as exc:
        raise click.UsageError(str(exc)) from None


@main.group("user")
def user_group() -> None:
    """Accounts: add, reset a password, list, disable/enable, grant and revoke roles.

    \b
    Roles and scopes: eigenaar, beheerder (no scope); gemeente GM0228 (one
    or more --scope); provincie PV25; coordinator NL or PV25. The first
    administrator: sitefinder user add you@example.nl --role beheerder
    """


@user_group.command("add")
@click.argument("email")
@click.option("--name", default="", help="the name shown in the page and the audit trail")
@click.option("--role", default=None, help="eigenaar, gemeente, provincie, coordinator, beheerder")
@click.option("--scope", "scopes", multiple=True, help="GM0228, PV25 or NL; repeat for several")
@click.option("--password-stdin", is_flag=True, help="read the password from stdin")
def user_add(
    email: str, name: str, role: str | None, scopes: tuple[str, ...], password_stdin: bool
) -> None:
    """Add an account; its password is generated and shown once (or read from stdin)."""
    from sitefinder.accounts import users
    from sitefinder.core import db

    grants = _grants(role, scopes)
    address = users.normalise_email(email)
    password, shown = _new_password(address, password_stdin)
    with db.connection() as conn:
        users.create_user(conn, address, name=name, password=password, grants=grants)
    roles = ", ".join(f"{g.role} {g.scope}".strip() for g in grants)
    click.echo(f"account {address} added" + (f" ({roles})" if roles else ""))
    if shown:
        _show_password(address, password)


@user_group.command("reset")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="read the new password from stdin")
def user_reset(email: str, password_stdin: bool) -> None:
    """Give an account a new password (shown once) and end its sessions."""
    from sitefinder.accounts import users
    from sitefinder.core import db

    with db.connection() as conn:
        row = users.require(conn, email)
        password, shown = _new_password(row["email"], password_stdin)
        users.set_password(conn, row["id"], password)
    click.echo(f"new password set for {row['email']}; its sessions have ended")
    if shown:
        _show_password(row["email"], password)


@user_group.command("list")
def user_list() -> None:
    """Every account with its roles, whether it is disabled and its last login."""
    from sitefinder.accounts import users
    from sitefinder.core import db

    with db.connection() as conn:
        rows = users.list_users(conn)
    for row in rows:
        roles = ", ".join(f"{r['role']} {r['scope']}".strip() for r in row["roles"]) or "-"
        state = "uitgeschakeld / disabled" if row["disabled"] else "actief / active"
        last = row["last_login_at"].isoformat(timespec="minutes") if row["last_login_at"] else "-"
        click.echo(f"{row['email']:<36} {state:<24} last login {last:<17} {roles}")


@user_group.command("disable")
@click.argument("email")
def user_disable(email: str) -> None:
    """Disable an account: it cannot log in and its sessions end."""
    _set_disabled(email, True)


@user_group.command("enable")
@click.argument("email")
def user_enable(email: str) -> None:
    """Enable a disabled account again."""
    _set_disabled(email, False)


def _set_disabled(email: str, disabled: bool) -> None:
    from sitefinder.accounts import users
    from sitefinder.core import db

    with db.connection() as conn:
        row = users.require(conn, email)
        users.set_disabled(conn, row["id"], disabled)
    click.echo(f"{row['email']} {'disabled' if disabled else 'enabled'}")


@user_group.command("grant")
@click.argument("email")
@click.option("--role", required=True)
@click.option("--scope", "scopes", multiple=True)
def user_grant(email: str, role: str, scopes: tuple[str, ...]) -> None:
    """Grant a role (with its scope) to an account."""
    _change_grants(email, role, scopes, add=True)


@user_group.command("revoke")
@click.argument("email")
@click.option("--role", required=True)
@click.option("--scope", "scopes", multiple=True)
def user_revoke(email: str, role: str, scopes: tuple[str, ...]) -> None:
    """Revoke a role (with its scope) from an account."""
    _change_grants(email, role, scopes, add=False)


def _change_grants(email: str, role: str, scopes: tuple[str, ...], *, add: bool) -> None:
    from sitefinder.accounts import users
    from sitefinder.core import db

    with db.connection() as conn:
        row = users.require(conn, email)
        for grant in _grants(role, scopes):
            if add:
                done = "granted" if users.grant(conn, row["id"], grant) else "held already"
            else:
                done = "revoked" if users.revoke(conn, row["id"], grant) else "not held"
            click.echo(f"{row['email']}: {grant.role} {grant.scope} {done}")


# --- fair share: `sitefinder fairshare ...` (sitefinder/api/fairshare.py, docs/fairshare.md) --


@main.group("fairshare")
def fairshare_group() -> None:
    """The needs per target group that the fair-share view divides."""


@fairshare_group.command("load-need")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--profile", required=True, help="the target group (profile) the numbers are for")
def fairshare_load_need(csv_file: Path, profile: str) -> None:
    """Load needs per gemeente from CSV_FILE (columns gemeentecode and need, ';' or ','), e.g.
    the statushouder targets; a region's need is then the sum over its gemeenten."""
    from sitefinder.api import fairshare
    from sitefinder.core import db
    from sitefinder.core.settings import get_settings
    from sitefinder.scoring import profile_names

    if profile not in profile_names():
        raise click.BadParameter(f"one of {', '.join(profile_names())}", param_hint="--profile")
    with db.connection(get_settings()) as conn:
        n = fairshare.load_need_csv(conn, csv_file, profile)
    click.echo(f"{n} gemeenten: need for {profile} loaded from {csv_file.name}")
