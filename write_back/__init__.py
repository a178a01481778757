"""Write-back: what the warehouse shipped, told to the shop that sold it, exactly once.

`plan.py` reads the store for shipped shipments of a shop's orders that the shop has not been told
about (the push ledger says what it has), `ledger.py` records intent before each call and the result
after it with an audit entry, `shopify.py` turns a shipment into a Shopify fulfilment and
`woocommerce.py` into a WooCommerce order meta entry, and `run.py`
runs one source's pushes under its run lock.
"""
