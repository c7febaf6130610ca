"""Promotions: coupons, full-reduction (满减) rules and flash sales."""
