import { isCredentialName, maskData, maskSecrets } from '../src/util/redact.js';

describe('the masking rule (redact.ts)', () => {
  it.each([
    ['cannot reach postgres://app:pw@db/x', 'cannot reach postgres://app:***@db/x'],
    ['redis://:pw@cache:6379', 'redis://:***@cache:6379'],
    ['amqp://user:p@ss@broker/vhost', 'amqp://user:***@broker/vhost'],
    [
      'mongodb+srv://u:p%40ss@cluster0.example.net/db?retryWrites=true',
      'mongodb+srv://u:***@cluster0.example.net/db?retryWrites=true',
    ],
    ['two: a://u:one@h and b://v:two@k', 'two: a://u:***@h and b://v:***@k'],
    ['https://api.example.com/v1?token=abc123&page=2', 'https://api.example.com/v1?token=***&page=2'],
    ['https://h/?Access_Token=abc#frag', 'https://h/?Access_Token=***#frag'],
    ['https://h/?a=1&PASSWORD=x&passwd=y&pwd=z', 'https://h/?a=1&PASSWORD=***&passwd=***&pwd=***'],
    ['?api_key=k1&apikey=k2&key=k3&x-api-key=k4', '?api_key=***&apikey=***&key=***&x-api-key=***'],
    [
      '?client_secret=s&secret=t&auth=u&sig=v&signature=w',
      '?client_secret=***&secret=***&auth=***&sig=***&signature=***',
    ],
    [
      's3 https://b.s3/o?X-Amz-Signature=abcdef&X-Amz-Expires=60',
      's3 https://b.s3/o?X-Amz-Signature=***&X-Amz-Expires=60',
    ],
    ['login failed: token=eyJhbGciOi.x.y, retrying', 'login failed: token=***, retrying'],
    ['config password="hunter 2" loaded', 'config password=*** loaded'],
    ['https://h/cb?redirect=https://x/?token=abc', 'https://h/cb?redirect=https://x/?token=***'],
    ['sig=abc==', 'sig=***'],
    [
      'DefaultEndpointsProtocol=https;AccountName=app;AccountKey=abc==;EndpointSuffix=core.windows.net',
      'DefaultEndpointsProtocol=https;AccountName=app;AccountKey=***;EndpointSuffix=core.windows.net',
    ],
    ['privateKey=k1 apiKey=k2 passphrase=p credentials=c', 'privateKey=*** apiKey=*** passphrase=*** credentials=***'],
  ])('masks %s', (text, masked) => {
    expect(maskSecrets(text)).toBe(masked);
    // Masking twice changes nothing.
    expect(maskSecrets(masked)).toBe(masked);
  });

  it.each([
    'ok',
    'user@example.com wrote',
    'https://example.com/a?page=2&sort=name',
    'monkey=3 turkey=4 keys=5',
    'a == b',
    'mailto:someone@example.com',
    '?token=&x=1',
  ])('leaves %s alone', (text) => {
    expect(maskSecrets(text)).toBe(text);
  });

  it('names a credential by its last part or its ending, in any case', () => {
    for (const name of ['token', 'TOKEN', 'refresh_token', 'dbPassword', 'client-secret', 'x-api-key', 'SIG', 'auth'])
      expect(isCredentialName(name)).toBe(true);
    for (const name of ['page', 'keys', 'monkey', 'author', 'signal', 'tokens_left'])
      expect(isCredentialName(name)).toBe(false);
  });

  it('masks every string and key of a value, keeps an unchanged value (and its parts) as they are', () => {
    const clean = { a: 'x', list: [1, 'y', { z: null }] };
    expect(maskData(clean)).toBe(clean);
    const inner = { fine: true };
    const data = {
      url: 'redis://:pw@cache',
      inner,
      nested: [{ deep: ['ok', 'see https://h/?token=t'] }],
      'https://h/?sig=s': 1,
      last: 'kept',
    };
    const masked = maskData(data);
    expect(masked).toEqual({
      url: 'redis://:***@cache',
      inner: { fine: true },
      nested: [{ deep: ['ok', 'see https://h/?token=***'] }],
      'https://h/?sig=***': 1,
      last: 'kept',
    });
    expect(Object.keys(masked)).toEqual(['url', 'inner', 'nested', 'https://h/?sig=***', 'last']);
    expect(masked.inner).toBe(inner);
    expect(data.url).toBe('redis://:pw@cache');
  });

  it('keeps a key such as __proto__ an own key of the copy', () => {
    const data = JSON.parse('{"__proto__":{"a":1},"u":"a://b:c@d"}') as Record<string, unknown>;
    const masked = maskData(data);
    expect(Object.keys(masked)).toEqual(['__proto__', 'u']);
    expect(Object.getPrototypeOf(masked)).toBe(Object.prototype);
  });

  // Each string reaches the patterns (it holds `://` and `@`, or `=`): the cheap test lets none through.
  it.each([
    ['scheme characters with word boundaries', `${'a.'.repeat(500_000)}://u@`],
    ['a scheme and a megabyte of colons', `a://${':'.repeat(1_000_000)} @`],
    ['a scheme, a user and a megabyte of @', `a://u:${'@'.repeat(1_000_000)}`],
    ['many URL starts', `${'a://u:p'.repeat(150_000)}@`],
    ['a megabyte of name characters', `${'token-'.repeat(170_000)} =`],
    ['parameters in a row', `${'token='.repeat(170_000)}`],
    ['nested parameters', `${'a=b'.repeat(340_000)}`],
    ['unclosed quotes', `${'password="'.repeat(100_000)}`],
  ])('masks a megabyte string of %s in linear time', (_what, text) => {
    const started = process.hrtime.bigint();
    const masked = maskSecrets(text);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(typeof masked).toBe('string');
    // Quadratic backtracking on a megabyte takes many minutes (the first rule took 31 s on 160 KB);
    // linear work takes well under a second, even on a loaded machine.
    expect(ms).toBeLessThan(10_000);
  });
});
