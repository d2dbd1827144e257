"""The directory: a mirror of what Partner Center says about each customer and its users, in the
portal's own database, so every list, search, sort, count and lookup is an indexed SQL query.

Layering (DESIGN.md, "The directory"): screens → services → this package → the SDK
(`portal.partnercenter`). Nothing here imports a view, a service or the staff and access code;
only this package writes its tables.

- `models`: the mirrored customers, their domains, roles, SKUs, users (active and deleted, in
  generations), role memberships, search words and users' licenses where known.
- `text`: how names are folded for sorting and split into words for search.
- `customer_queries`: the reads pages make of customers: lookups, search, health and the choices
  forms offer (domains, roles, SKUs, locations).
- `user_queries`: the reads of a customer's users: the users list (search, filters, sort,
  paging, export), the Deleted users tab and lookups by id, username and licenses.
- `sync`: reading a customer (or the customers list) from Partner Center into the mirror.
- `writes`: write-through of the portal's own changes, from Partner Center's answers.
- `budget`: the one rate of background Partner Center calls.
"""
