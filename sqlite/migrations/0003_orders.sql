-- Find the account of an order from its id (releasing or cancelling a
-- held order names only the order).
CREATE INDEX events_by_order ON events (json_extract(event, '$.properties.order_id'))
    WHERE type = 'order.placed';
