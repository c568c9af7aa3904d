"""Request and response bodies, one module per resource, in families (`OrderCreate`, `OrderPublic`,
`OrdersPublic`). Money is a decimal string on the wire, never a JSON number."""
