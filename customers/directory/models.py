"""The directory's tables. Every row records when Partner Center last confirmed it.

A customer's users live in *generations*: a sync writes the users it reads as a new generation
beside the current one, then switches the customer to it in one short transaction and deletes
the old one in batches. A page reads the customer's current generation, so it sees the old
mirror or the new one, never a mixture, and no transaction holds the write lock for long (on
SQLite a transaction replacing 50,000 rows would stall every sign-in and audit write).

Every row belongs to a mode (sandbox or live) through its customer: the portal never shows rows
read in the other mode.
"""

from __future__ import annotations

from django.db import models


class DirectoryCustomer(models.Model):
    """A customer of the partner as Partner Center's customers list and its own reads show it."""

    ACCESS_UNKNOWN = "unknown"
    ACCESS_DELEGATED = "delegated"
    ACCESS_NONE = "none"
    ACCESS = [
        (ACCESS_UNKNOWN, "Not read yet"),
        (ACCESS_DELEGATED, "Delegated access"),
        (ACCESS_NONE, "No delegated access"),
    ]

    SYNC_IDLE = "idle"
    SYNC_QUEUED = "queued"
    SYNC_RUNNING = "running"
    SYNC_FAILED = "failed"
    SYNC_STATES = [
        (SYNC_IDLE, "Idle"),
        (SYNC_QUEUED, "Queued"),
        (SYNC_RUNNING, "Reading"),
        (SYNC_FAILED, "Failed"),
    ]

    mode = models.CharField(max_length=8)  # "sandbox" or "live": the mode it was read in
    tenant_id = models.CharField(max_length=64)  # Partner Center's customer id
    company_name = models.CharField(max_length=255)
    name_key = models.CharField(max_length=255)  # folded company name, for search and order
    domain = models.CharField(max_length=255)  # the initial (onmicrosoft.com) domain
    listed_at = models.DateTimeField()  # last seen in Partner Center's customers list
    access = models.CharField(max_length=12, choices=ACCESS, default=ACCESS_UNKNOWN)

    # The mirror of its users: generation 0 means never read.
    generation = models.PositiveIntegerField(default=0)
    users_count = models.PositiveIntegerField(default=0)
    deleted_count = models.PositiveIntegerField(default=0)
    # The usage locations of its active users (the users list's Location filter), sorted.
    locations = models.JSONField(default=list, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)  # when the mirror's read began
    # How many of its users' licenses are known (`DirectoryUserLicenses` rows): the license
    # scan's progress, kept by every write of them (counted on each view, it grew with the
    # customer: 0.8 ms a page at 5,000 users).
    licenses_read = models.PositiveIntegerField(default=0)

    # The sync under way or last tried (one at a time per customer, across every process).
    sync_state = models.CharField(max_length=8, choices=SYNC_STATES, default=SYNC_IDLE)
    sync_queued_at = models.DateTimeField(null=True, blank=True)
    sync_started_at = models.DateTimeField(null=True, blank=True)
    sync_heartbeat_at = models.DateTimeField(null=True, blank=True)  # the running sync's lease
    sync_users_read = models.PositiveIntegerField(default=0)
    sync_calls = models.PositiveIntegerField(default=0)
    sync_error = models.TextField(blank=True)
    sync_correlation_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mode", "tenant_id"], name="directory_customer_once")
        ]
        indexes = [
            models.Index(fields=["mode", "name_key"], name="directory_customer_name"),
            models.Index(fields=["mode", "synced_at"], name="directory_customer_age"),
        ]

    def __str__(self) -> str:
        return f"{self.company_name} ({self.tenant_id}, {self.mode})"

    @property
    def mirrored(self) -> bool:
        return self.synced_at is not None


class DirectoryDomain(models.Model):
    customer = models.ForeignKey(
        DirectoryCustomer, on_delete=models.CASCADE, related_name="domains"
    )
    name = models.CharField(max_length=255)
    name_key = models.CharField(max_length=255)  # ASCII lower case
    is_initial = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["name_key"], name="directory_domain_key")]

    def __str__(self) -> str:
        return self.name


class DirectoryRole(models.Model):
    """A directory role of a customer (Partner Center's `DirectoryRole`)."""

    customer = models.ForeignKey(DirectoryCustomer, on_delete=models.CASCADE, related_name="roles")
    role_id = models.CharField(max_length=64)
    name = models.CharField(max_length=255)

    def __str__(self) -> str:
        return self.name


class DirectorySku(models.Model):
    """A subscribed SKU of a customer, with its seats as last read."""

    customer = models.ForeignKey(DirectoryCustomer, on_delete=models.CASCADE, related_name="skus")
    sku_id = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    part_number = models.CharField(max_length=255, blank=True)
    available = models.IntegerField(default=0)
    total = models.IntegerField(default=0)
    consumed = models.IntegerField(default=0)
    confirmed_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class DirectoryUser(models.Model):
    """A user of a customer, active or deleted, in one generation of the customer's mirror."""

    ACTIVE = "active"
    DELETED = "deleted"

    # No index of its own: the unique constraint below starts with the customer.
    customer = models.ForeignKey(
        DirectoryCustomer, on_delete=models.CASCADE, related_name="users", db_index=False
    )
    generation = models.PositiveIntegerField()
    user_id = models.CharField(max_length=64)
    user_principal_name = models.CharField(max_length=255)
    upn_key = models.CharField(max_length=255)  # ASCII lower case: order and exact lookups
    display_name = models.CharField(max_length=255)
    display_key = models.CharField(max_length=255)  # folded: order
    first_name = models.CharField(max_length=255, blank=True)
    last_name = models.CharField(max_length=255, blank=True)
    usage_location = models.CharField(max_length=8, blank=True)
    roles = models.CharField(max_length=1000, blank=True)  # role names, sorted, "; "-joined
    roles_key = models.CharField(max_length=1000, blank=True)  # folded: order
    state = models.CharField(max_length=8, default=ACTIVE)
    deleted_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField()  # when Partner Center last said so
    # Set when the portal's own change wrote this row: a sync that began before it keeps it.
    written_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "generation", "user_id"], name="directory_user_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["customer", "generation", "state", "display_key", "upn_key"],
                name="directory_user_by_name",
            ),
            models.Index(
                fields=["customer", "generation", "state", "upn_key"],
                name="directory_user_by_upn",
            ),
            models.Index(
                fields=["customer", "generation", "state", "usage_location", "display_key"],
                name="directory_user_by_location",
            ),
            models.Index(
                fields=["customer", "generation", "state", "roles_key", "display_key"],
                name="directory_user_by_roles",
            ),
            # The Deleted users tab's whole order (user_queries._DELETED_ORDER): PostgreSQL,
            # which expects a customer's deleted users to be few, read all 1,500 of one customer
            # to sort them for a page (1.0 ms, not 0.08).
            models.Index(
                fields=[
                    "customer",
                    "generation",
                    "state",
                    "deleted_at",
                    "display_key",
                    "upn_key",
                    "id",
                ],
                name="directory_user_by_deletion",
            ),
            models.Index(fields=["upn_key"], name="directory_user_upn"),
        ]

    def __str__(self) -> str:
        return f"{self.user_principal_name} ({self.state}, generation {self.generation})"


class DirectoryRoleMember(models.Model):
    """A user (one generation's row) holding a directory role."""

    user = models.ForeignKey(DirectoryUser, on_delete=models.CASCADE, related_name="memberships")
    role_id = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["role_id", "user"], name="directory_member_role")]

    def __str__(self) -> str:
        return f"{self.role_id} held by {self.user_id}"


class DirectoryWord(models.Model):
    """A word of a user's display, first or last name or username (folded), for word-prefix
    search: every word of a query must start one of a user's words. The customer, generation,
    state and display key are repeated here so a customer's search reads its own words only and the
    search across customers finds, orders and counts its users from this table alone."""

    # No index of its own: directory_word_prefix starts with the customer.
    customer = models.ForeignKey(
        DirectoryCustomer, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    generation = models.PositiveIntegerField()
    user = models.ForeignKey(DirectoryUser, on_delete=models.CASCADE, related_name="words")
    word = models.CharField(max_length=64)
    display_key = models.CharField(max_length=255, default="")  # the user's, for order
    # The user's: a tab's search reads the words of its own users only, so the keys it finds
    # are the list's users and their number is the list's count.
    state = models.CharField(max_length=8, default=DirectoryUser.ACTIVE)

    class Meta:
        # The pattern operator classes let PostgreSQL answer LIKE 'word%' from the index
        # whatever the database's collation; SQLite ignores them and is asked for a range
        # instead. One index serves every search, read on its own (it holds every column a
        # search needs) on both databases, a customer at a time:
        # - the state comes after the word: a tab's search tests it on the index, and a search
        #   of either state still narrows each customer by the prefix (before the word, SQLite
        #   searched across customers by reading all their words: 740 ms at 500,000 users,
        #   not 50);
        # - then the user: a tab's search reads its keys from it (SQLite: 0.45 ms less for
        #   the 565 words of 'maria');
        # - then the display key: the search across customers orders its users by it. Read from
        #   each word's row instead, the 6,126 words of 'maria' over 550,000 users took SQLite
        #   13.1 ms, not 8.8 (SQLite has no INCLUDE: the columns an index serves are keys).
        # No index of words across customers: each database reads a customer's prefix from this
        # one, 210 customers in turn, and every index is written by every sync.
        indexes = [
            models.Index(
                fields=["customer", "generation", "word", "state", "user", "display_key"],
                opclasses=[
                    "int8_ops",
                    "int4_ops",
                    "varchar_pattern_ops",
                    "varchar_ops",
                    "int8_ops",
                    "varchar_ops",
                ],
                name="directory_word_prefix",
            ),
        ]

    def __str__(self) -> str:
        return self.word


class DirectoryUserLicenses(models.Model):
    """When a user's licenses were last read: Partner Center lists them one user per call, so
    they are learnt when a user is opened or changed through the portal, and by the background
    scan (`licenses.py`), not by a sync. A user without this row: licenses not read yet."""

    customer = models.ForeignKey(  # indexed by the unique constraint below, which it starts
        DirectoryCustomer, on_delete=models.CASCADE, related_name="user_licenses", db_index=False
    )
    user_id = models.CharField(max_length=64)
    read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "user_id"], name="directory_licenses_once")
        ]
        indexes = [models.Index(fields=["read_at"], name="directory_licenses_age")]

    def __str__(self) -> str:
        return f"{self.user_id}: licenses read {self.read_at:%Y-%m-%d %H:%M}"


class DirectoryUserSku(models.Model):
    """A license (subscribed SKU) a user holds, as last read (`DirectoryUserLicenses`): what
    the users list shows and filters by."""

    customer = models.ForeignKey(  # indexed by the unique constraint below, which it starts
        DirectoryCustomer, on_delete=models.CASCADE, related_name="user_skus", db_index=False
    )
    user_id = models.CharField(max_length=64)
    sku_id = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "user_id", "sku_id"], name="directory_user_sku_once"
            )
        ]
        indexes = [
            models.Index(fields=["customer", "sku_id", "user_id"], name="directory_sku_holders")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} holds {self.sku_id}"


class DirectoryBudget(models.Model):
    """The one rate of background Partner Center calls, shared by every process (one row)."""

    next_call_at = models.DateTimeField()  # the earliest moment the next call may start
    slowdown = models.FloatField(default=1.0)  # >1 after 429s: the interval is multiplied
    throttled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"next call at {self.next_call_at:%H:%M:%S}, slowdown {self.slowdown:g}"
