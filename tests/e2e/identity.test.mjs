// Journey 9: in the Chinese UI, a reading of a card that is not the one taken in is recorded only
// with a reason, the job warns, and only an approver with her own PIN lets it go on; a wrong PIN is
// refused and said so.
import assert from 'node:assert/strict';
import { journey, Key } from './webdriver.mjs';
import { addTechnicians, openJob, setPin, takeIn } from './journeys.mjs';

journey('a card that is not the one taken in goes on only with an approver and her PIN', async (bench) => {
  await bench.withApp(async (app) => {
    await addTechnicians(app, '王芳', '李娜');
    await setPin(app, '李娜', '１３５７');
    await app.click('#language option[value="zh-CN"]');
    await app.waitFor('#nav-intake', 5_000, '收件');
    const ticket = await takeIn(app, { serial: '1654922099999', customer: '深圳算力科技', observed: '掉卡', quote: '８０００' });

    // The bench holds another card (serial …012345): recording it to this job needs a reason.
    await app.click('#nav-bench');
    await app.click('#bench-scenario option[value="h100-healthy"]');
    await app.click('#bench-start-simulated');
    await app.waitFor('#bench-simulated', 10_000, 'h100-healthy');
    await app.click(`#record-job-0 option[data-ticket="${ticket}"]`);
    await app.click('#record-0');
    await app.type('#record-reason-0', '客户说序列号标签贴错了');
    await app.click('#record-anyway-0');
    await app.waitFor('#recorded-0', 5_000, ticket);

    await openJob(app, '2099999');
    await app.waitFor('#identity-check', 5_000, 'identity_mismatch');
    await app.click('#identity-signer option[value="李娜"]');
    await app.type('#identity-pin', '0000');
    await app.type('#identity-reason', '板卡标签与芯片 UUID 已核对，是同一张卡');
    await app.click('#approve-identity');
    await app.waitFor('#job-error', 5_000, '不正确');
    await app.type('#identity-pin', Key.Control + 'a' + Key.Control + '１３５７');
    await app.click('#approve-identity');
    await app.waitFor('#identity-approved', 5_000, '李娜');
    assert.match(await app.text('#timeline'), /身份已认可（identity_mismatch）：板卡标签与芯片 UUID 已核对/);
  });
});
