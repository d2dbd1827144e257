"""The portal's staff: signing in (a local password or Microsoft: `entra`, `backends`,
`throttle`), their roles and what each may do (`access`), and the sign-in pages (`views`)."""
