"""The permission table: every command needs a permission, and grants never reach across
sites or out of their location subtree."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ledger.dispatch import ALL_COMMANDS
from ledger.identity.permissions import (
    COMMAND_PERMISSIONS,
    allowed,
    may_end_session,
    may_set_password,
)
from ledger.identity.principals import SYSTEM, Principal, PrincipalKind
from ledger.identity.roles import ALL_SITES, ROLE_PERMISSIONS, Grant, Permission, Role

SITES = st.sampled_from(["PLANT-A", "PLANT-B", "PLANT-C", "HQ"])


def person(*grants: Grant, user: str = "anna") -> Principal:
    return Principal(kind=PrincipalKind.PERSON, id=user, printed_name=user, grants=grants)


def test_every_command_is_mapped_to_a_permission() -> None:
    # Fails when a command is added to the dispatch table without a row here.
    assert set(COMMAND_PERMISSIONS) == set(ALL_COMMANDS)


def test_every_role_has_a_row_and_every_permission_a_role() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)
    granted = set().union(*ROLE_PERMISSIONS.values())
    assert granted == set(Permission)


def test_signed_actions_need_a_quality_approver() -> None:
    admin = person(Grant(role=Role.ADMINISTRATOR, site=ALL_SITES))
    approver = person(Grant(role=Role.QUALITY_APPROVER, site="PLANT-A"))
    assert not allowed(admin, Permission.QUALITY_RELEASE, "PLANT-A")
    assert allowed(admin, Permission.IDENTITY_MANAGE, None)
    assert allowed(approver, Permission.QUALITY_RELEASE, "PLANT-A")
    assert not allowed(approver, Permission.QUALITY_RELEASE, "PLANT-B")


@given(
    role=st.sampled_from(list(Role)),
    permission=st.sampled_from(list(Permission)),
    held=st.lists(SITES, min_size=1, max_size=3),
    asked=SITES,
)
def test_a_site_grant_never_reaches_another_site(
    role: Role, permission: Permission, held: list[str], asked: str
) -> None:
    principal = person(*(Grant(role=role, site=site) for site in held))
    if asked not in held:
        assert not allowed(principal, permission, asked)
        assert not allowed(principal, permission, asked, "ANY-BIN")
    # A plant-wide action (no site) needs an every-site grant.
    assert not allowed(principal, permission, None)
    # Where it holds the site, exactly the role's permissions are allowed.
    if asked in held:
        assert allowed(principal, permission, asked) is (permission in ROLE_PERMISSIONS[role])


@given(
    permission=st.sampled_from(sorted(ROLE_PERMISSIONS[Role.STOREKEEPER])),
    location=st.text(alphabet="AWH1-2Z", max_size=8),
)
def test_a_location_grant_covers_only_its_subtree(permission: Permission, location: str) -> None:
    principal = person(Grant(role=Role.STOREKEEPER, site="PLANT-A", location_prefix="WH1-"))
    assert allowed(principal, permission, "PLANT-A", location) is location.startswith("WH1-")
    assert not allowed(principal, permission, "PLANT-A")  # the site as a whole
    assert not allowed(principal, permission, "PLANT-B", location)


def test_two_grants_are_never_combined() -> None:
    # Receiving at A and approving at B does not make an approver at A.
    principal = person(
        Grant(role=Role.STOREKEEPER, site="PLANT-A"),
        Grant(role=Role.QUALITY_APPROVER, site="PLANT-B"),
    )
    assert allowed(principal, Permission.STOCK_RECEIVE, "PLANT-A")
    assert not allowed(principal, Permission.QUALITY_RELEASE, "PLANT-A")
    assert not allowed(principal, Permission.STOCK_RECEIVE, "PLANT-B")


def test_the_system_runs_its_jobs_and_nothing_else() -> None:
    expiry = SYSTEM("expiry")
    assert expiry.actor == "system:expiry"
    assert allowed(expiry, Permission.QUALITY_EXPIRE, "PLANT-A")
    assert not allowed(expiry, Permission.STOCK_ISSUE, "PLANT-A")
    assert not allowed(expiry, Permission.IDENTITY_MANAGE, None)


def test_a_person_sets_their_own_password_only() -> None:
    anna = person(Grant(role=Role.OPERATOR, site="PLANT-A"))
    assert may_set_password(anna, "anna")
    assert not may_set_password(anna, "bert")
    key = Principal(
        kind=PrincipalKind.KEY, id="k", printed_name="k", grants=(), on_behalf_of="anna"
    )
    assert not may_set_password(key, "anna")
    admin = person(Grant(role=Role.ADMINISTRATOR, site=ALL_SITES), user="root")
    assert may_set_password(admin, "bert")


def test_a_person_ends_their_own_sessions_only() -> None:
    anna = person(Grant(role=Role.OPERATOR, site="PLANT-A"))
    assert may_end_session(anna, "anna")
    assert not may_end_session(anna, "bert")
    admin = person(Grant(role=Role.ADMINISTRATOR, site=ALL_SITES), user="root")
    assert may_end_session(admin, "bert")


def test_a_key_acting_for_a_person_records_both() -> None:
    key = Principal(
        kind=PrincipalKind.KEY, id="3f9a", printed_name="ERP", grants=(), on_behalf_of="anna"
    )
    assert key.actor == "key:3f9a for anna"
