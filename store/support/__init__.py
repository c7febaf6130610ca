"""Customer service (客服): tickets relayed between customers and the shop, and FAQ."""
