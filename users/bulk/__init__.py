"""Bulk upload of users from a CSV file (DESIGN.md screen 8 and "Bulk CSV rules").

`reading` turns bytes into rows or refuses the file, `rules` checks columns and rows, `services`
is the public API the views call.
"""
