"""The taggers a user holds: ConSE queries, refinement, ranking and suggestions."""
