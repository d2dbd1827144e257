"""The README's "Scripting: commands and the SDK" examples run against the sandbox: they stay true.

Each block marked `<!-- snippet: name -->` runs in a fresh arranged customer: a ```python block
with `customer_id`, `user_id` and `deleted_user_id` defined, a ```sh block line by line through
`call_command` with `<tenant id>`, `<user id>` and `<deleted user id>` filled in.
"""

from __future__ import annotations

import io
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from portal.models import AuditRecord
from portal.sandbox.models import CustomerUser, LicenseAssignment, RoleMember
from tests.sandbox_data import GLOBAL_ADMIN, OFFICE_E3
from tests.users.commands_support import LICENSE_ADMIN, Scene, arrange, refresh, run

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("empty_cache"),
]

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = "## Scripting: commands and the SDK"
_MARKED = re.compile(
    r"<!-- snippet: (?P<name>[\w-]+) -->\n```(?P<language>\w+)\n(?P<code>.*?)^```", re.S | re.M
)
_MANAGE = ".venv/bin/python manage.py "


@dataclass(frozen=True)
class Snippet:
    name: str
    language: str
    code: str


def section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n{SECTION}\n")
    end = text.find("\n## ", start + len(SECTION) + 2)
    return text[start : end if end != -1 else len(text)]


def snippets() -> list[Snippet]:
    return [Snippet(**match.groupdict()) for match in _MARKED.finditer(section())]


@pytest.fixture
def scene(admin_agent: User) -> Scene:
    return arrange()  # Contoso (also contoso.com): Bob is `user_id`, Dora `deleted_user_id`


# --- What each snippet must have done -------------------------------------------------------------


def _created(scene: Scene, names: dict[str, Any]) -> None:
    user = CustomerUser.objects.get(pk=names["created_user"].id)
    assert (user.display_name, user.usage_location, user.force_change_password) == (
        "TestDisplayName",
        "US",
        True,
    )
    assert user.user_principal_name.endswith("@contoso.onmicrosoft.com")


def _created_by_command(scene: Scene, names: dict[str, Any]) -> None:
    user = CustomerUser.objects.get(user_principal_name="jane.doe@contoso.com")
    assert (user.first_name, user.last_name, user.display_name) == ("Jane", "Doe", "Jane Doe")
    assert AuditRecord.objects.get(action="user_create").ticket == "INC-1234"


def _found(scene: Scene, names: dict[str, Any]) -> None:
    assert len(names["everyone"]) == 2
    assert names["user"].user_principal_name == "bob@contoso.onmicrosoft.com"
    assert names["roles"] == []


def _listed_by_command(scene: Scene, names: dict[str, Any]) -> None:
    assert "bob@contoso.onmicrosoft.com" in names["out"]


def _updated(expected_username: str) -> Callable[[Scene, dict[str, Any]], None]:
    def check(scene: Scene, names: dict[str, Any]) -> None:
        bob = refresh(scene.bob)
        assert (bob.user_principal_name, bob.display_name, bob.first_name, bob.last_name) == (
            expected_username,
            "Roger Federer",
            "Roger",
            "Federer",
        )
        assert bob.usage_location == "US"

    return check


def _updated_by_command(scene: Scene, names: dict[str, Any]) -> None:
    before = scene.bob.password_last_set_at
    _updated("roger.federer@contoso.com")(scene, names)
    assert refresh(scene.bob).password_last_set_at > before
    actions = list(AuditRecord.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["user_update", "user_reset_password", "user_reset_password"]


def _password_reset(scene: Scene, names: dict[str, Any]) -> None:
    now = CustomerUser.objects.get(pk=scene.bob.pk).password_last_set_at
    assert now > scene.bob.password_last_set_at


def _deleted(scene: Scene, names: dict[str, Any]) -> None:
    assert refresh(scene.bob).state == CustomerUser.INACTIVE


def _deleted_audited(scene: Scene, names: dict[str, Any]) -> None:
    _deleted(scene, names)
    record = AuditRecord.objects.get(action="user_delete")
    assert (record.staff_username, record.via, record.ticket) == ("amara", "command", "INC-1234")


def _restored(scene: Scene, names: dict[str, Any]) -> None:
    assert refresh(scene.dora).state == CustomerUser.ACTIVE


def _licensed(scene: Scene, names: dict[str, Any]) -> None:
    held = LicenseAssignment.objects.filter(user=scene.bob).values_list("sku__sku_id", flat=True)
    assert [str(sku_id) for sku_id in held] == [OFFICE_E3]


def _licensed_by_command(scene: Scene, names: dict[str, Any]) -> None:
    _licensed(scene, names)
    assert "Minecraft: Education Edition" in names["out"]  # both license groups listed
    assert '"sku_part_number": "ENTERPRISEPACK"' in names["out"]  # bob's, found by username
    assert AuditRecord.objects.get(action="user_licenses_change").ticket == "INC-1234"


def _roles_of_bob() -> set[str]:
    held = RoleMember.objects.filter(user__user_principal_name__startswith="bob@")
    return {str(role_id) for role_id in held.values_list("role__role_id", flat=True)}


def _role_given(scene: Scene, names: dict[str, Any]) -> None:
    assert _roles_of_bob() == {LICENSE_ADMIN}


def _roles_by_command(scene: Scene, names: dict[str, Any]) -> None:
    assert _roles_of_bob() == {GLOBAL_ADMIN}
    records = AuditRecord.objects.filter(action="user_roles_change").order_by("id")
    assert [record.changes for record in records] == [
        {"added": ["License Administrator"]},
        {"added": ["Global Administrator"], "privileged": True},
        {"removed": ["License Administrator"]},
    ]
    assert names["out"].splitlines()[-2].startswith("Global Administrator  true")


def _password_change_required(scene: Scene, names: dict[str, Any]) -> None:
    before = scene.bob.password_last_set_at
    bob = refresh(scene.bob)
    assert bob.force_change_password is True
    assert bob.password_last_set_at == before  # the password stays
    assert bob.state == CustomerUser.ACTIVE  # --what-if deleted nothing
    assert "What if: nothing was sent or audited." in names["out"]
    [record] = AuditRecord.objects.all()  # the flag's; none for the what-if
    assert record.changes == {"must_change_at_next_sign_in": True}


CHECKS: dict[str, Callable[[Scene, dict[str, Any]], None]] = {
    "create": _created,
    "create-command": _created_by_command,
    "get": _found,
    "get-command": _listed_by_command,
    "update": _updated("roger.federer@contoso.onmicrosoft.com"),
    "update-command": _updated_by_command,
    "reset-password": _password_reset,
    "delete": _deleted,
    "delete-command": _deleted_audited,
    "restore": _restored,
    "restore-command": _restored,
    "audited": _deleted_audited,
    "licenses": _licensed,
    "licenses-command": _licensed_by_command,
    "roles": _role_given,
    "roles-command": _roles_by_command,
    "next-sign-in-command": _password_change_required,
}


# --- The tests ------------------------------------------------------------------------------------


def test_every_python_block_in_the_section_is_a_snippet_that_runs() -> None:
    text = section()
    marked = [snippet for snippet in snippets() if snippet.language == "python"]
    assert len(marked) == text.count("```python") >= 6
    assert {snippet.name for snippet in snippets()} == set(CHECKS)


def test_every_command_line_in_the_section_runs() -> None:
    for snippet in snippets():
        if snippet.language == "sh":
            assert all(line.startswith(_MANAGE) for line in _command_lines(snippet.code))


@pytest.mark.parametrize("snippet", snippets(), ids=lambda snippet: snippet.name)
def test_the_readme_snippet_runs_against_the_sandbox(scene: Scene, snippet: Snippet) -> None:
    if snippet.language == "python":
        names = _run_python(scene, snippet)
    elif snippet.language == "sh":
        names = _run_commands(scene, snippet)
    else:
        raise AssertionError(f"{snippet.name}: a snippet is python or sh, not {snippet.language}")
    CHECKS[snippet.name](scene, names)


def _placeholders(scene: Scene) -> dict[str, str]:
    return {
        "customer_id": scene.customer_id,
        "user_id": str(scene.bob.pk),
        "deleted_user_id": str(scene.dora.pk),
    }


def _run_python(scene: Scene, snippet: Snippet) -> dict[str, Any]:
    names: dict[str, Any] = dict(_placeholders(scene))
    code = compile(snippet.code, f"README.md snippet {snippet.name}", "exec")
    exec(code, names)  # noqa: S102 (the README's own examples, run to keep them true)
    return names


def _command_lines(code: str) -> list[str]:
    # Continuation lines joined; a trailing "# comment" is the shell's, not an argument.
    joined = code.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip()]


def _run_commands(scene: Scene, snippet: Snippet) -> dict[str, Any]:
    values = _placeholders(scene)
    filled = {
        "<tenant id>": values["customer_id"],
        "<user id>": values["user_id"],
        "<deleted user id>": values["deleted_user_id"],
    }
    out = []
    for line in _command_lines(snippet.code):
        for placeholder, value in filled.items():
            line = line.replace(placeholder, value)
        name, *argv = shlex.split(line.removeprefix(_MANAGE), comments=True)
        stdin = None
        if "<" in argv:  # `--password-stdin < file`: the file holds a password
            argv = argv[: argv.index("<")]
            stdin = io.StringIO("Typed-Passw0rd-1\n")
        result = run(name, *argv, stdin=stdin)
        assert result.code == 0, f"{line}\n{result.err}"
        out.append(result.out)
    return {"out": "\n".join(out)}
