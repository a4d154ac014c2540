const stripeKey = 'sk_live_ReTllpYQYfIZu2Jnf2lAPFjD';
const stripeKey = 'rk_live_5TcWfjKmJgpql9hjpRnwRXbT';
