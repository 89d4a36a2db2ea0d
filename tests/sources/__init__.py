"""Team sources and trust: pure logic, and real git repositories made by the tests."""
