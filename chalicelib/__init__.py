"""OptClass: session balances and attendance for schools that sell session packages."""
