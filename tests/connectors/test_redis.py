from connectors.redis.client import make_redis


def test_redis_answers_ping(stack):
    assert make_redis(stack.redis).ping() is True
