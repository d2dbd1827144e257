"""Real Microsoft identifiers and realistic names for the sandbox's demo data.

Kept apart from `seed_rows.py` so the seed's logic stays readable. The role and SKU ids are the real
ones (Entra role template ids, Microsoft 365 product and service plan ids), so whatever the portal
learns to recognise in the sandbox it also recognises in a real tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Role:
    template_id: str
    name: str


GLOBAL_ADMINISTRATOR: Final = Role("62e90394-69f5-4237-9190-012177145e10", "Global Administrator")
USER_ADMINISTRATOR: Final = Role("fe930be7-5e62-47db-91af-98c3a49a38b1", "User Administrator")
HELPDESK_ADMINISTRATOR: Final = Role(
    "729827e3-9c14-49f7-bb1b-9608f156bbb8", "Helpdesk Administrator"
)
BILLING_ADMINISTRATOR: Final = Role("b0f54661-2d74-4c50-afa3-1ec803f12efe", "Billing Administrator")
GLOBAL_READER: Final = Role("f2ef992c-3afb-46b9-b7cf-a126ee74c451", "Global Reader")
EXCHANGE_ADMINISTRATOR: Final = Role(
    "29232cdf-9323-42fd-ade2-1d097af3e4de", "Exchange Administrator"
)
SHAREPOINT_ADMINISTRATOR: Final = Role(
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c", "SharePoint Administrator"
)
LICENSE_ADMINISTRATOR: Final = Role("4d6ac14f-3453-41d0-bef9-a3e0c569773a", "License Administrator")

ROLES: Final = (
    GLOBAL_ADMINISTRATOR,
    USER_ADMINISTRATOR,
    HELPDESK_ADMINISTRATOR,
    BILLING_ADMINISTRATOR,
    GLOBAL_READER,
    EXCHANGE_ADMINISTRATOR,
    SHAREPOINT_ADMINISTRATOR,
    LICENSE_ADMINISTRATOR,
)


def _plan(plan_id: str, service_name: str, display_name: str) -> dict[str, str]:
    return {"id": plan_id, "serviceName": service_name, "displayName": display_name}


EXCHANGE_PLAN_1 = _plan(
    "9aaf7827-d63c-4b61-89c3-182f06f82e5c", "EXCHANGE_S_STANDARD", "Exchange Online (Plan 1)"
)
EXCHANGE_PLAN_2 = _plan(
    "efb87545-963c-4e0d-99df-69c6916d9eb0", "EXCHANGE_S_ENTERPRISE", "Exchange Online (Plan 2)"
)
SHAREPOINT_PLAN_1 = _plan(
    "c7699d2e-19aa-44de-8edf-1736da088ca1", "SHAREPOINTSTANDARD", "SharePoint (Plan 1)"
)
SHAREPOINT_PLAN_2 = _plan(
    "5dbe027f-2339-4123-9542-606e4d348a72", "SHAREPOINTENTERPRISE", "SharePoint (Plan 2)"
)
TEAMS = _plan("57ff2da0-773e-42df-b2af-ffb7a2317929", "TEAMS1", "Microsoft Teams")
OFFICE_WEB = _plan("e95bec33-7c88-4a70-8e19-b10bd9d0c014", "SHAREPOINTWAC", "Office for the Web")
PLANNER = _plan(
    "b737dad2-2f6c-4c65-90e3-ca563267e8b9", "PROJECTWORKMANAGEMENT", "Microsoft Planner"
)
APPS_FOR_BUSINESS = _plan(
    "094e7854-93fc-4d55-b2c0-3ab5369ebdc1", "OFFICE_BUSINESS", "Microsoft 365 Apps for business"
)
APPS_FOR_ENTERPRISE = _plan(
    "43de0ff5-c92c-492b-9116-175376d08c38",
    "OFFICESUBSCRIPTION",
    "Microsoft 365 Apps for enterprise",
)
SKYPE_PLAN_2 = _plan(
    "0feaeb32-d00e-4d66-bd5a-43b5b83db82c", "MCOSTANDARD", "Skype for Business Online (Plan 2)"
)
INTUNE = _plan("c1ec4a95-1f05-45b3-a911-aa3fa01094f5", "INTUNE_A", "Microsoft Intune Plan 1")
ENTRA_ID_P1 = _plan("41781fb2-bc02-4b7c-bd55-b576c07bb09d", "AAD_PREMIUM", "Microsoft Entra ID P1")


@dataclass(frozen=True)
class Sku:
    sku_id: str
    part_number: str
    name: str
    service_plans: tuple[dict[str, str], ...]


_BASIC_PLANS = (EXCHANGE_PLAN_1, SHAREPOINT_PLAN_1, TEAMS, OFFICE_WEB, PLANNER)

BUSINESS_BASIC: Final = Sku(
    "3b555118-da6a-4418-894f-7df1e2096870",
    "O365_BUSINESS_ESSENTIALS",
    "Microsoft 365 Business Basic",
    _BASIC_PLANS,
)
BUSINESS_STANDARD: Final = Sku(
    "f245ecc8-75af-4f8e-b61f-27d8114de5f3",
    "O365_BUSINESS_PREMIUM",
    "Microsoft 365 Business Standard",
    (*_BASIC_PLANS, APPS_FOR_BUSINESS),
)
BUSINESS_PREMIUM: Final = Sku(
    "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
    "SPB",
    "Microsoft 365 Business Premium",
    (*_BASIC_PLANS, APPS_FOR_BUSINESS, INTUNE, ENTRA_ID_P1),
)
OFFICE_365_E3: Final = Sku(
    "6fd2c87f-b296-42f0-b197-1e91e994b900",
    "ENTERPRISEPACK",
    "Office 365 E3",
    (EXCHANGE_PLAN_2, SHAREPOINT_PLAN_2, TEAMS, OFFICE_WEB, APPS_FOR_ENTERPRISE, SKYPE_PLAN_2),
)
EXCHANGE_ONLINE_PLAN_1: Final = Sku(
    "4b9405b0-7788-4568-add1-99614e613b69",
    "EXCHANGESTANDARD",
    "Exchange Online (Plan 1)",
    (EXCHANGE_PLAN_1,),
)

# Names are mixed on purpose: accents, Nordic letters and Polish ones test every screen and the
# username transliteration; hyphens and apostrophes test search and CSV round trips.
FIRST_NAMES: Final = (
    "Adele", "Alex", "Allan", "Amara", "Ana", "Anders", "Anne-Marie", "Ava", "Ben", "Björn",
    "Carla", "Chen", "Chloé", "Daniel", "David", "Diego", "Ebru", "Elena", "Emma", "Erik",
    "Fatima", "Finn", "François", "Grace", "Hannah", "Hiroshi", "Ines", "Isaac", "Ivan", "Jakub",
    "James", "Jana", "Joana", "José", "Julia", "Karin", "Kenji", "Lars", "Laura", "Lea",
    "Leila", "Liam", "Lidia", "Lucas", "Łukasz", "Maja", "Marco", "Maria", "Mark", "Marta",
    "Mateo", "Megan", "Mia", "Miguel", "Mohammed", "Nadia", "Nestor", "Nina", "Noah", "Olga",
    "Oliver", "Omar", "Patti", "Paul", "Pedro", "Priya", "Rafael", "Raj", "Renée", "Rosa",
    "Ruth", "Sami", "Sara", "Sebastian", "Siobhán", "Sofia", "Søren", "Sven", "Tanja", "Thomas",
    "Tomás", "Ugo", "Valentina", "Victor", "Wei", "William", "Yara", "Yusuf", "Zoë", "Zofia",
)  # fmt: skip

LAST_NAMES: Final = (
    "Abbott", "Ahmed", "Ångström", "Bakker", "Baptiste", "Becker", "Bergström", "Brown", "Castro",
    "Çelik", "Chen", "Costa", "Dąbrowski", "Davies", "Dubois", "Eriksson", "Evans", "Fernández",
    "Fischer", "García", "Green", "Gustafsson", "Hansen", "Hoffmann", "Holm", "Ibrahim",
    "Jansen", "Johansson", "Jones", "Kaur", "Kelly", "Kim", "Kowalski", "Larsen", "Laurent",
    "Lee", "Lindqvist", "López", "Martin", "Meyer", "Moreau", "Müller", "Murphy", "Nakamura",
    "Nguyen", "Nielsen", "Novak", "Núñez", "O'Brien", "Okafor", "Olsen", "Patel", "Pereira",
    "Petrov", "Ramos", "Richter", "Rossi", "Sánchez", "Santos", "Schmidt", "Schneider", "Silva",
    "Singh", "Smith", "Sørensen", "Suzuki", "Tanaka", "Taylor", "Thomas", "Torres", "Virtanen",
    "Wagner", "Walker", "Wang", "Weber", "White", "Williams", "Wilson", "Wójcik", "Yamamoto",
    "Yilmaz", "Young", "Zhang", "Ziegler",
)  # fmt: skip

# Accounts without a person behind them: no first or last name, only a display name.
SHARED_ACCOUNTS: Final = (
    ("frontdesk", "Front Desk"),
    ("accounts.payable", "Accounts Payable"),
    ("meetingroom1", "Meeting Room 1"),
    ("scanner", "Scanner"),
    ("support", "Support Desk"),
)
