"""The engagement API (/api/v1/ on an organisation's host): thin views over the services
and selectors, one module per resource. The base every resource shares (scoping,
filters, permissions) is ``tenants.api_base``; list filters are django-filter FilterSets
(``core.filters``).

Scoping is by construction: the host selects the organisation's schema, so querysets only
ever see that organisation's rows and another organisation's id is simply unknown (404).
The default permission (``IsOrganisationMember``) lets members read and managers write;
outsiders get 404. Only the ``public`` views are open to anonymous clients.
"""
