"""Pure rules of the school's business: no DynamoDB, no HTTP, no clock."""
