"""The use cases: one function per act or page a principal asks for. Each takes the
engine, the principal (``CurrentUser``) and plain input, owns its transaction, asks the one
visibility rule (incidents/visibility.py) what the principal may see, and returns a plain
result or raises a domain error (incidents/errors.py). The page handlers and the API
handlers in incidents/controllers/ only translate HTTP to these calls and back."""
