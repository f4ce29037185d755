"""WeChat mini-program: sign-in (jscode2session), phone numbers, the stable access token, subscribe messages."""
