import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  escapeXml, isoTimestamp, parseForm, QUERY_MODELS, queryErrorAnswer, readQueryRequest, serializeQueryResponse,
} from './aws-query.ts';
import { InvalidActionError, MalformedQueryStringError, NoSuchEntityError, ValidationError } from '../errors/query-errors.ts';
import { ExpiredTokenException, UnrecognizedClientException } from '../errors/common-errors.ts';

const { iam, sts } = QUERY_MODELS;

function validationMessage(model: typeof iam, body: string): string {
  try {
    readQueryRequest(model, parseForm(body));
  } catch (e) {
    if (e instanceof ValidationError) return e.message;
    throw e;
  }
  return assert.fail('expected a ValidationError');
}

// ------------------------------------------------------------------------------------------------
// Form bodies.

test('parseForm decodes percent-encoding and + as space; a repeated name keeps its last value', () => {
  const p = parseForm(Buffer.from('Action=CreateUser&UserName=a%2Bb+c&Empty=&Flag&X=1&X=2'));
  assert.equal(p.get('Action'), 'CreateUser');
  assert.equal(p.get('UserName'), 'a+b c');
  assert.equal(p.get('Empty'), '');
  assert.equal(p.get('Flag'), '');
  assert.equal(p.get('X'), '2');
});

test('parseForm refuses bad percent-encoding and invalid UTF-8', () => {
  assert.throws(() => parseForm('A=%E0%A4%A'), MalformedQueryStringError);
  assert.throws(() => parseForm(Buffer.from([0x41, 0x3d, 0xff])), MalformedQueryStringError);
});

test('readQueryRequest builds nested structures and member lists (botocore encoding)', () => {
  const body = 'Action=CreateUser&Version=2010-05-08&UserName=alice&Path=%2Fteam%2F'
    + '&Tags.member.2.Key=b&Tags.member.2.Value=2&Tags.member.1.Key=a&Tags.member.1.Value=';
  const { action, input } = readQueryRequest(iam, parseForm(body));
  assert.equal(action, 'CreateUser');
  assert.deepEqual(input, { Path: '/team/', UserName: 'alice', Tags: [{ Key: 'a', Value: '' }, { Key: 'b', Value: '2' }] });
});

test('readQueryRequest: an empty list is `Name=`; scalar lists; integers; STS nested structures', () => {
  const untag = readQueryRequest(iam, parseForm('Action=UntagUser&UserName=u&TagKeys.member.1=k1&TagKeys.member.2=k2'));
  assert.deepEqual(untag.input, { UserName: 'u', TagKeys: ['k1', 'k2'] });
  const empty = readQueryRequest(iam, parseForm('Action=TagUser&UserName=u&Tags='));
  assert.deepEqual(empty.input, { UserName: 'u', Tags: [] });
  const assume = readQueryRequest(sts, parseForm(
    'Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fr&RoleSessionName=s1&DurationSeconds=900'
    + '&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3A111122223333%3Apolicy%2Fp',
  ));
  assert.deepEqual(assume.input, {
    RoleArn: 'arn:aws:iam::111122223333:role/r', RoleSessionName: 's1', DurationSeconds: 900,
    PolicyArns: [{ arn: 'arn:aws:iam::111122223333:policy/p' }],
  });
  assert.deepEqual(readQueryRequest(sts, parseForm('Action=GetCallerIdentity&Version=2011-06-15')).input, {});
});

test('readQueryRequest: model constraints with the Coral wording, camelCase paths', () => {
  assert.equal(validationMessage(iam, 'Action=CreateUser'), "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null");
  assert.equal(
    validationMessage(iam, 'Action=CreateUser&UserName=bad%20name'),
    "1 validation error detected: Value 'bad name' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
  );
  assert.equal(
    validationMessage(iam, `Action=CreateUser&UserName=${'a'.repeat(65)}&Path=nope`),
    `2 validation errors detected: Value 'nope' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F); `
    + `Value '${'a'.repeat(65)}' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64`,
  );
  assert.equal(
    validationMessage(iam, 'Action=CreateUser&UserName=u&Tags.member.1.Value=v'),
    "1 validation error detected: Value null at 'tags.1.member.key' failed to satisfy constraint: Member must not be null",
  );
  assert.equal(
    validationMessage(sts, 'Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fr&RoleSessionName=s&DurationSeconds=899'),
    "2 validation errors detected: Value 's' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2; "
    + "Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
  );
  assert.match(validationMessage(sts, 'Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fr&RoleSessionName=ss&DurationSeconds=x'), /'durationSeconds'.*whole number/);
  assert.equal(
    validationMessage(iam, 'Action=UpdateAccessKey&AccessKeyId=AKIAAAAAAAAAAAAAAAAA&Status=Off'),
    "1 validation error detected: Value 'Off' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]",
  );
});

test('readQueryRequest: unknown or missing Action, wrong Version', () => {
  assert.throws(() => readQueryRequest(iam, parseForm('Version=2010-05-08')), InvalidActionError);
  assert.throws(() => readQueryRequest(iam, parseForm('Action=CreateLoginProfile')), { message: 'Could not find operation CreateLoginProfile for version 2010-05-08' });
  assert.throws(() => readQueryRequest(iam, parseForm('Action=GetUser&Version=2011-06-15')), InvalidActionError);
  assert.throws(() => readQueryRequest(iam, parseForm('Action=toString')), InvalidActionError);
});

// ------------------------------------------------------------------------------------------------
// XML answers.

test('serializeQueryResponse wraps the result, lists as <member>, ISO timestamps, request id', () => {
  const xml = serializeQueryResponse(iam, 'ListUsers', {
    Users: [{ Path: '/', UserName: 'a&b', UserId: 'AIDAAAAAAAAAAAAAAAAAA', Arn: 'arn:aws:iam::111122223333:user/a', CreateDate: Date.UTC(2024, 0, 2, 3, 4, 5, 678) }],
    IsTruncated: false,
  }, 'req-1');
  assert.equal(xml,
    '<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListUsersResult><Users><member>'
    + '<Path>/</Path><UserName>a&amp;b</UserName><UserId>AIDAAAAAAAAAAAAAAAAAA</UserId><Arn>arn:aws:iam::111122223333:user/a</Arn>'
    + '<CreateDate>2024-01-02T03:04:05Z</CreateDate></member></Users><IsTruncated>false</IsTruncated></ListUsersResult>'
    + '<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></ListUsersResponse>');
});

test('serializeQueryResponse: members in model order, empty lists, operations without output', () => {
  const xml = serializeQueryResponse(iam, 'ListUserPolicies', { IsTruncated: false, PolicyNames: [] }, 'r');
  assert.match(xml, /<ListUserPoliciesResult><PolicyNames><\/PolicyNames><IsTruncated>false<\/IsTruncated><\/ListUserPoliciesResult>/);
  assert.equal(serializeQueryResponse(iam, 'DeleteUser', undefined, 'r'),
    '<DeleteUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DeleteUserResponse>');
  const sts1 = serializeQueryResponse(sts, 'GetCallerIdentity', { UserId: 'u', Account: '111122223333', Arn: 'arn' }, 'r');
  assert.match(sts1, /^<GetCallerIdentityResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/"><GetCallerIdentityResult><UserId>u<\/UserId><Account>111122223333<\/Account><Arn>arn<\/Arn><\/GetCallerIdentityResult>/);
});

test('IAM policy documents are answered URL-encoded (botocore json_decode_policies undoes it)', () => {
  const doc = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}';
  const xml = serializeQueryResponse(iam, 'GetUserPolicy', { UserName: 'u', PolicyName: 'p', PolicyDocument: doc }, 'r');
  const encoded = /<PolicyDocument>([^<]*)<\/PolicyDocument>/.exec(xml)?.[1] ?? '';
  assert.ok(!encoded.includes('"'));
  assert.equal(decodeURIComponent(encoded), doc);
  assert.match(xml, /<UserName>u<\/UserName>/);
});

test('escapeXml and isoTimestamp', () => {
  assert.equal(escapeXml(`<a href="x">'&'</a>\r\u0001`), `&lt;a href="x"&gt;'&amp;'&lt;/a&gt;&#xD;\uFFFD`);
  assert.equal(isoTimestamp(0), '1970-01-01T00:00:00Z');
});

test('queryErrorAnswer: the ErrorResponse form, Query names for the shared errors, internal failures hidden', () => {
  const a = queryErrorAnswer(iam, new NoSuchEntityError('The user with name x cannot be found.'), 'rid');
  assert.equal(a.status, 404);
  assert.equal(a.body,
    '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code>'
    + '<Message>The user with name x cannot be found.</Message></Error><RequestId>rid</RequestId></ErrorResponse>');
  const b = queryErrorAnswer(sts, new UnrecognizedClientException(), 'rid');
  assert.equal(b.code, 'InvalidClientTokenId');
  assert.equal(b.status, 403);
  assert.match(b.body, /^<ErrorResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/">/);
  const c = queryErrorAnswer(sts, new ExpiredTokenException(), 'rid');
  assert.equal(c.code, 'ExpiredToken');
  assert.match(c.body, /<Message>The security token included in the request is expired<\/Message>/);
  const d = queryErrorAnswer(iam, new Error('secret detail'), 'rid');
  assert.equal(d.status, 500);
  assert.equal(d.code, 'ServiceFailure');
  assert.match(d.body, /<Type>Receiver<\/Type>/);
  assert.ok(!d.body.includes('secret detail'));
  assert.ok(d.cause instanceof Error);
});
