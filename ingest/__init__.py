"""Loading employees, skills and taxonomies; validation, skill normalisation, embedding."""
