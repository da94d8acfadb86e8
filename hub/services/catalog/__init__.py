"""The catalog: products seen as music releases, and what they link to.

One module per job, all speaking the domain (field names such as
``upc-code``, the product's statuses, :class:`~hub.errors.Problems` listing
every problem at once); the JSON:API surface (:mod:`hub.api.v1`) translates
to and from its dialect at its edge.

- :mod:`.checks`    field checks and the :class:`~.checks.Checker` that collects problems
- :mod:`.rows`      reading an organization's rows
- :mod:`.labels`    labels, languages, product types
- :mod:`.covers`    cover art in the blob store
- :mod:`.releases`  release metadata on products: check, create, update, delete, list
- :mod:`.parts`     what belongs to a release, with :mod:`.tracks`, :mod:`.offers`, :mod:`.rights`

ISO country, currency and language lists are :mod:`hub.iso`.
"""
