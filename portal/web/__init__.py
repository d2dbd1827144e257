"""What every screen shares: the request type and CSV downloads (`http`), how a Partner Center
failure is shown (`problems`), paging and query strings (`paging`), and the small pieces the
shared templates render (`ui`). Nothing here calls Partner Center."""
