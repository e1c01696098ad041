"""The only code that talks to DynamoDB.

`schema` defines the table, `keys` builds every key, `models` are the PynamoDB items,
and one module per area holds the repository functions. The access patterns and the key
or index serving each are listed in docs/architecture.md; every repository function
names the patterns it serves.
"""
