-- The tests' fixture data: two users (passwords "test" and "other", hashed by the app's own
-- scrypt helper) and one post by "test".
INSERT INTO user (username, password)
VALUES
  ('test', 'scrypt:16384:8:1$5eed0000testsalt$eba6b6944ce4f069daa8cd593c5b4250ccda70e628fe8fcef12f8bcf4a562cd7d9b20ba659cbb14ad0af39be3656ca8f26b7e46822e5a566d858bf0984ce1955'),
  ('other', 'scrypt:16384:8:1$5eed0000othersalt$16c3580a0772517d89c7fb91c75d705139bbe2921ab91f74e28b8bd55af1ce9b7298d90d17518a132128205badad353dc2f935d453a6d61a7f162b10112a855e');

INSERT INTO post (title, body, author_id, created)
VALUES
  ('test title', 'test' || x'0a' || 'body', 1, '2018-01-01 00:00:00');
