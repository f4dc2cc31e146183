"""The consultant's portfolio of clients: each client's state read from its schema
(``states``), the figures from the lab's stored results (``lab_results``), the page
(``views``) and the API (``api``)."""
