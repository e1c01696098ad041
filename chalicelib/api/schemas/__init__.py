"""Request and response bodies, a module per resource; `common.py` has the base classes.

The same models validate requests, shape responses and generate the OpenAPI document, so
the contract cannot drift from the code. A response model validates from the attributes
of what its view returns (a record, a use case's result: `Model.model_validate(obj)`);
where an answer follows a rule of presentation (a board's cells, a portal's status), the
rule is a function beside the view that serves it, in the route module, and the models
here only declare the shape.
"""
