"""The audit log: what is recorded and how (`records`), how it is read and filtered
(`selectors`, `forms`), its export (`services`) and its pages (`views`)."""
