// Tributary's page tracker: <script defer src=".../tracker.js" data-key="KEY"></script>.
// Speaks the tracking API (POST /v1/batch), so its calls are events like any SDK's.
(function (w, d) {
  var script = d.currentScript;
  if (!script || w.tributary) return;
  var key = script.getAttribute('data-key');
  var api = script.getAttribute('data-api') || script.src.replace(/[^/]*$/, '');
  var url = api.replace(/\/?$/, '/') + 'v1/batch';
  // A cookieless key: nothing kept, no anonymous id; ingest derives the visitor's id.
  var cookieless = script.getAttribute('data-visitors') === 'cookieless';
  var store = cookieless || script.hasAttribute('data-no-storage') ? null : storage();
  var queue = load('queue') || [];
  var anonymousId = cookieless ? null : load('anonymousId') || id();
  var userId = load('userId');
  var lastPage,
    lastUrl = d.referrer,
    timer,
    retry;
  save('anonymousId', anonymousId);

  function storage() {
    try {
      return w.localStorage;
    } catch {
      return null;
    }
  }
  function load(name) {
    try {
      return store && JSON.parse(store.getItem('tributary.' + name) || 'null');
    } catch {
      return null;
    }
  }
  function save(name, value) {
    try {
      if (store) store.setItem('tributary.' + name, JSON.stringify(value));
    } catch {}
  }
  function id() {
    if (w.crypto && crypto.randomUUID) return crypto.randomUUID();
    return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, function (c) {
      var r = (Math.random() * 16) | 0;
      return (c === 'x' ? r : (r & 3) | 8).toString(16);
    });
  }

  function page() {
    var l = w.location;
    return {
      path: l.pathname,
      url: l.href,
      search: l.search,
      title: d.title,
      referrer: lastUrl,
    };
  }
  function call(type, fields) {
    var message = {
      type: type,
      messageId: id(),
      timestamp: new Date().toISOString(),
      context: {
        page: page(),
        library: { name: 'tributary-tracker', version: '1' },
        userAgent: navigator.userAgent,
        locale: navigator.language,
      },
    };
    if (anonymousId) message.anonymousId = anonymousId;
    if (userId) message.userId = userId;
    for (var f in fields) message[f] = fields[f];
    queue.push(message);
    clearTimeout(timer);
    timer = setTimeout(flush, 0);
  }

  // A page view per URL: replaceState that keeps the URL (routers do) is no new page.
  function pageView() {
    var l = w.location;
    var current = l.pathname + l.search;
    if (current === lastPage) return;
    lastPage = current;
    call('page', { name: d.title, properties: page() });
    lastUrl = l.href;
  }

  // Bodies stay under the 64 KB browsers allow a keepalive request or a beacon.
  function take() {
    var batch = [];
    var size = 0;
    while (queue.length && (batch.length === 0 || size + JSON.stringify(queue[0]).length < 60000)) {
      var next = queue.shift();
      size += JSON.stringify(next).length;
      batch.push(next);
    }
    return batch;
  }
  function body(batch) {
    return JSON.stringify({ batch: batch, sentAt: new Date().toISOString(), writeKey: key });
  }
  function flush() {
    if (!navigator.onLine) return;
    while (queue.length) send(take());
  }
  function send(batch) {
    var requeue = function () {
      queue = batch.concat(queue);
      clearTimeout(retry);
      retry = setTimeout(flush, 5000);
    };
    fetch(url, {
      method: 'POST',
      body: body(batch),
      headers: { 'Content-Type': 'text/plain' },
      keepalive: true,
      credentials: 'omit',
    }).then(function (r) {
      // 4xx other than 429 will not change on a resend; the answer names the fault.
      if (r.status >= 500 || r.status === 429) requeue();
    }, requeue);
  }

  w.addEventListener('online', flush);
  w.addEventListener('pagehide', function () {
    clearTimeout(timer);
    // Offline, a beacon would be lost: the queue waits in storage for the next page.
    if (!navigator.onLine || !navigator.sendBeacon) return save('queue', queue);
    while (queue.length) {
      var batch = take();
      if (!navigator.sendBeacon(url, new Blob([body(batch)], { type: 'text/plain' }))) {
        queue = batch.concat(queue);
        return save('queue', queue);
      }
    }
    save('queue', []);
  });
  ['pushState', 'replaceState'].forEach(function (name) {
    var original = history[name];
    history[name] = function () {
      var result = original.apply(this, arguments);
      pageView();
      return result;
    };
  });
  w.addEventListener('popstate', pageView);

  w.tributary = {
    track: function (name, properties) {
      call('track', { event: name, properties: properties || {} });
    },
    identify: function (user, traits) {
      userId = String(user);
      save('userId', userId);
      call('identify', { userId: userId, traits: traits || {} });
    },
    page: pageView,
  };
  pageView();
})(window, document);
